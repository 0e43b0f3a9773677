package io.flock.membership.internal.transport;

import io.flock.membership.NodeId;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The transport's side errands, off every caller's thread: a bare TCP dial that tells a refused
 * connection (nothing listens: the process is gone) from anything else, and name resolution through
 * the transport's asynchronous resolver.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty futures: their listeners complete ours
final class Probes {
  private final EventLoopGroup group;
  private final DnsAddressResolverGroup resolver;
  private final TransportConfig config;

  Probes(EventLoopGroup group, DnsAddressResolverGroup resolver, TransportConfig config) {
    this.group = group;
    this.resolver = resolver;
    this.config = config;
  }

  /** See {@link Transport#probeRefused}. */
  CompletableFuture<Boolean> probeRefused(NodeId peer) {
    CompletableFuture<Boolean> refused = new CompletableFuture<>();
    try {
      ChannelFuture dial =
          new Bootstrap()
              .group(group)
              .channel(NioSocketChannel.class)
              .resolver(resolver)
              .option(
                  ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
              .handler(new io.netty.channel.ChannelInboundHandlerAdapter())
              .connect(peer.host(), peer.port());
      dial.addListener(
          f -> {
            if (f.isSuccess()) {
              dial.channel().close();
              refused.complete(false);
            } else {
              refused.complete(isRefusal(f.cause()));
            }
          });
    } catch (RuntimeException e) {
      refused.complete(false);
    }
    return refused;
  }

  /** Whether {@code cause} is a connection refusal (RST on SYN), not a timeout or no route. */
  static boolean isRefusal(@Nullable Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException
          && !(t instanceof io.netty.channel.ConnectTimeoutException)
          && String.valueOf(t.getMessage()).contains("refused")) {
        return true;
      }
    }
    return false;
  }

  /** See {@link Transport#resolveAll}. */
  CompletableFuture<List<InetSocketAddress>> resolveAll(String host, int port) {
    CompletableFuture<List<InetSocketAddress>> out = new CompletableFuture<>();
    try {
      resolver
          .getResolver(group.next())
          .resolveAll(InetSocketAddress.createUnresolved(host, port))
          .addListener(
              f -> {
                if (f.isSuccess()) {
                  @SuppressWarnings("unchecked")
                  java.util.List<InetSocketAddress> found =
                      (java.util.List<InetSocketAddress>) f.getNow();
                  out.complete(java.util.List.copyOf(found));
                } else {
                  out.completeExceptionally(f.cause());
                }
              });
    } catch (RuntimeException e) {
      out.completeExceptionally(e);
    }
    return out;
  }
}
