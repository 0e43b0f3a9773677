package io.flock.membership.internal.transport;

import io.flock.membership.NodeId;
import io.flock.membership.internal.wire.WireTypeRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every channel: runs the {@link Handshake} in its role, then checks and hands
 * envelopes to the transport. Stateful, one per channel. Any failure closes this one connection
 * with one log line naming the peer and the reason; nothing a peer sent before its handshake
 * succeeded is ever passed on.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty futures: failures surface in
// exceptionCaught and close listeners, which handle them
final class Connection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  /** Failures that close the connection with the given reason. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private final NettyTransport transport;
  private final boolean client;
  private final NodeId self;
  private final @Nullable NodeId expected; // client: whom we dialled
  private final WireCodec.Decoder decoder;
  private final String dialKey;
  private final byte[] myNonce = Handshake.nonce();
  private byte @Nullable [] peerNonce;
  private @Nullable NodeId peer;
  private boolean authenticated;
  private boolean closing;
  private @Nullable ScheduledFuture<?> timeout;
  private long windowStart = System.nanoTime();
  private int windowCount;

  Connection(
      NettyTransport transport,
      boolean client,
      @Nullable NodeId expected,
      WireCodec.Decoder decoder,
      String dialKey) {
    this.dialKey = dialKey;
    this.transport = transport;
    this.client = client;
    this.self = transport.self();
    this.expected = expected;
    this.decoder = decoder;
  }

  /** For a client connection, the key of the outbound queue that dialled it. */
  String dialKey() {
    return dialKey;
  }

  @Nullable NodeId peer() {
    return peer;
  }

  boolean isClient() {
    return client;
  }

  boolean isAuthenticated() {
    return authenticated;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    long millis = transport.config().handshakeTimeout().toMillis();
    timeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (!authenticated) {
                    refuse(ctx, "handshake timeout after " + millis + " ms");
                  }
                },
                millis,
                TimeUnit.MILLISECONDS);
    if (client) {
      ctx.writeAndFlush(
          new Wire.Hello(transport.config().cluster(), Wire.VERSION, self, myNonce, manifest()));
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
    transport.connectionClosed(this, ctx.channel());
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object message) {
    if (closing) {
      return;
    }
    if (authenticated) {
      onAuthenticated(ctx, message);
    } else if (client) {
      onClientHandshake(ctx, message);
    } else {
      onServerHandshake(ctx, message);
    }
  }

  private void onServerHandshake(ChannelHandlerContext ctx, Object message) {
    TransportConfig config = transport.config();
    switch (message) {
      case Wire.Hello hello when peer == null -> {
        if (!hello.cluster().equals(config.cluster())) {
          reject(ctx, "wrong cluster name '" + hello.cluster() + "'");
        } else if (hello.version() != Wire.VERSION) {
          reject(ctx, "unsupported protocol version " + hello.version());
        } else if (!transport.firstSeen(hello.nonce())) {
          reject(ctx, "replayed handshake nonce");
        } else if (typesDiffer(hello.types()) != null) {
          reject(ctx, String.valueOf(typesDiffer(hello.types())));
        } else {
          peer = hello.from();
          peerNonce = hello.nonce();
          byte[] mac =
              Handshake.mac(
                  config.secret(),
                  "server",
                  config.cluster(),
                  hello.nonce(),
                  myNonce,
                  self,
                  hello.from());
          ctx.writeAndFlush(new Wire.Challenge(self, myNonce, mac, manifest()));
        }
      }
      case Wire.Proof proof when peer != null && peerNonce != null -> {
        byte[] expectedMac =
            Handshake.mac(
                config.secret(), "client", config.cluster(), myNonce, peerNonce, peer, self);
        if (!Handshake.same(expectedMac, proof.mac())) {
          reject(ctx, "authentication failed (wrong secret?)");
        } else {
          succeed(ctx);
          ctx.writeAndFlush(new Wire.Accepted());
        }
      }
      default -> refuse(ctx, "unexpected " + describe(message) + " during handshake");
    }
  }

  private void onClientHandshake(ChannelHandlerContext ctx, Object message) {
    TransportConfig config = transport.config();
    switch (message) {
      case Wire.Challenge challenge when peer == null -> {
        NodeId server = challenge.from();
        byte[] expectedMac =
            Handshake.mac(
                config.secret(),
                "server",
                config.cluster(),
                myNonce,
                challenge.nonce(),
                server,
                self);
        if (!Handshake.same(expectedMac, challenge.mac())) {
          refuse(ctx, "server failed authentication (wrong secret?)");
        } else if (expected != null && !expected.name().equals(server.name())) {
          refuse(ctx, "expected node " + expected.name() + " but reached " + server.name());
        } else if (!transport.firstSeen(challenge.nonce())) {
          refuse(ctx, "replayed handshake nonce");
        } else if (typesDiffer(challenge.types()) != null) {
          refuse(ctx, String.valueOf(typesDiffer(challenge.types())));
        } else {
          peer = server;
          byte[] mac =
              Handshake.mac(
                  config.secret(),
                  "client",
                  config.cluster(),
                  challenge.nonce(),
                  myNonce,
                  self,
                  server);
          ctx.writeAndFlush(new Wire.Proof(mac));
        }
      }
      case Wire.Accepted accepted when peer != null -> succeed(ctx);
      case Wire.Reject reject -> refuse(ctx, "refused by peer: " + reject.reason());
      default -> refuse(ctx, "unexpected " + describe(message) + " during handshake");
    }
  }

  private void succeed(ChannelHandlerContext ctx) {
    authenticated = true;
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
    decoder.authenticated(transport.config().maxFrameBytes());
    NodeId p = peer;
    if (p != null) {
      transport.authenticated(this, ctx.channel(), p, client);
    }
  }

  private void onAuthenticated(ChannelHandlerContext ctx, Object message) {
    long now = System.nanoTime();
    if (now - windowStart >= 1_000_000_000L) {
      windowStart = now;
      windowCount = 0;
    }
    if (++windowCount > transport.config().maxMessagesPerSecond()) {
      refuse(
          ctx, "flooding: more than " + transport.config().maxMessagesPerSecond() + " messages/s");
      return;
    }
    if (!(message instanceof Wire.Envelope envelope)) {
      refuse(ctx, "unexpected " + describe(message) + " after handshake");
      return;
    }
    NodeId p = peer;
    if (p == null || !envelope.from().equals(p)) {
      refuse(ctx, "envelope claims to be from " + envelope.from() + " on a connection of " + p);
      return;
    }
    transport.deliver(envelope);
  }

  private String[] manifest() {
    return transport.config().wireManifest().toArray(new String[0]);
  }

  private @Nullable String typesDiffer(String[] theirs) {
    return WireTypeRegistry.mismatch(transport.config().wireManifest(), List.of(theirs));
  }

  private static String describe(Object message) {
    return message.getClass().getSimpleName();
  }

  private void reject(ChannelHandlerContext ctx, String reason) {
    if (closing) {
      return;
    }
    ctx.writeAndFlush(new Wire.Reject(reason));
    refuse(ctx, reason);
  }

  /** Closes this connection with one log line. */
  void refuse(ChannelHandlerContext ctx, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    transport.refused();
    if (client) {
      transport.failed(dialKey, reason);
    }
    SocketAddress remote = ctx.channel().remoteAddress();
    log.warn(
        "[{}] closing connection {} {}: {}",
        self.name(),
        client ? "to" : "from",
        peer != null ? peer + " (" + remote + ")" : remote,
        reason);
    ctx.close();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof java.io.IOException && authenticated) {
      // The peer went away (crash, reset): not a refusal, and the failure detector handles it.
      if (!closing) {
        closing = true;
        log.info(
            "[{}] connection {} {} lost: {}",
            self.name(),
            client ? "to" : "from",
            peer,
            cause.getMessage());
        ctx.close();
      }
      return;
    }
    Throwable root =
        cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    String reason = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    refuse(ctx, root.getClass().getSimpleName() + ": " + reason);
  }
}
