package io.flock.membership.internal.transport;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.flock.membership.NodeId;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty TCP between nodes: one outgoing connection per peer, made on demand, authenticated by the
 * {@link Handshake} (and optionally mutual TLS), re-established with exponential backoff after
 * loss. Messages for a peer wait in a bounded queue while its connection is being made; a full
 * queue makes {@link #send} return {@code false} and is counted and logged, never silently
 * swallowed. Delivery is at most once: the replicator and failure detector above repair loss.
 *
 * <p>Threading: {@link #send}, {@link #isWritable} and {@link #close} may be called from any
 * thread. The {@link Listener} is called on a Netty event loop and must not block; an exception it
 * throws is logged and contained.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty futures: failures surface in
// exceptionCaught and close listeners, which handle them
public final class NettyTransport implements Transport {
  // Sends above the high water mark of a connection are refused (and counted) until it drains.
  private static final int LOW_WATER_MARK = 1 << 20;
  private static final int HIGH_WATER_MARK = 4 << 20;
  // DNS answers are kept at most this long (failures never).
  private static final int DNS_MAX_TTL_SECONDS = 5;

  private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);

  private static final class Outbound {
    NodeId target;
    @Nullable Channel channel;
    boolean ready;
    boolean connecting;
    @Nullable Channel dialing;
    long backoffMillis;
    boolean overflowLogged;
    final ArrayDeque<Wire.Envelope> queue = new ArrayDeque<>();

    Outbound(NodeId target) {
      this.target = target;
    }
  }

  private final TransportConfig config;
  private final Listener listener;
  private final EventLoopGroup group;
  private final DnsAddressResolverGroup resolver;
  private final Probes probes;
  private final Cache<ByteBuffer, Boolean> nonces =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(10)).build();
  private final ConcurrentHashMap<String, Outbound> outbound = new ConcurrentHashMap<>();
  private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong overflowed = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final HandshakeAdmission admission;
  // Set on an outgoing channel this node closed on purpose: its close is no sign of the peer.
  private static final io.netty.util.AttributeKey<Boolean> RETIRED =
      io.netty.util.AttributeKey.valueOf("flock.retired");
  private final java.util.concurrent.atomic.LongAdder bytesOut =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder bytesIn =
      new java.util.concurrent.atomic.LongAdder();
  private final AtomicLong connects = new AtomicLong();
  private final AtomicLong backpressured = new AtomicLong();
  private volatile boolean reading = true;
  private final ConcurrentHashMap<String, String> failures = new ConcurrentHashMap<>();
  // Authenticated incoming connections per peer incarnation: a peer that redialed has two a moment.
  private final ConcurrentHashMap<NodeId, Integer> inbound = new ConcurrentHashMap<>();
  private volatile @Nullable NodeId self;
  private volatile boolean closed;
  private @Nullable Channel server;

  private NettyTransport(TransportConfig config, Listener listener, int ioThreads, String name) {
    this.config = config;
    this.admission = new HandshakeAdmission(config.maxUnauthenticated());
    this.listener = listener;
    this.group =
        new MultiThreadIoEventLoopGroup(
            ioThreads,
            new DefaultThreadFactory("flock-io-" + name, true),
            NioIoHandler.newFactory());
    // Peers' names are resolved afresh on every dial (addresses change when a node restarts
    // elsewhere), never on an I/O thread, and a failed lookup is not remembered: a node asks for
    // a name before it exists (seeds of a cluster that is still starting), and the JDK's resolver
    // would keep failing that name for 10 s after it appeared.
    this.resolver =
        new DnsAddressResolverGroup(
            new DnsNameResolverBuilder()
                .datagramChannelType(NioDatagramChannel.class)
                .socketChannelType(NioSocketChannel.class)
                .ttl(0, DNS_MAX_TTL_SECONDS)
                .negativeTtl(0));
    this.probes = new Probes(group, resolver, config);
  }

  /**
   * Binds and starts a transport.
   *
   * @param name this node's name
   * @param bindHost the address to listen on
   * @param bindPort the port, or 0 for an ephemeral one
   * @param advertisedHost the host other nodes dial
   * @param incarnation this start's incarnation
   * @throws IllegalStateException if the port cannot be bound (the transport is released)
   */
  public static NettyTransport start(
      String name,
      String bindHost,
      int bindPort,
      String advertisedHost,
      long incarnation,
      TransportConfig config,
      Listener listener,
      int ioThreads) {
    requireNonNull(name, "name");
    requireNonNull(bindHost, "bindHost");
    requireNonNull(advertisedHost, "advertisedHost");
    requireNonNull(config, "config");
    requireNonNull(listener, "listener");
    NettyTransport t = new NettyTransport(config, listener, ioThreads, name);
    try {
      ChannelFuture bound =
          new ServerBootstrap()
              .group(t.group)
              .channel(NioServerSocketChannel.class)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(t.initializer(false, null, bindHost, ""))
              .bind(bindHost, bindPort)
              .syncUninterruptibly();
      Channel server = bound.channel();
      t.server = server;
      int port = ((InetSocketAddress) server.localAddress()).getPort();
      t.self = new NodeId(name, advertisedHost, port, incarnation);
      return t;
    } catch (Exception e) { // Netty rethrows the checked BindException undeclared
      t.close();
      throw new TransportException("cannot bind " + bindHost + ":" + bindPort + ": " + e, e);
    }
  }

  private ChannelInitializer<SocketChannel> initializer(
      boolean client, @Nullable NodeId expected, String sniHost, String dialKey) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        if (self == null || closed) {
          ch.close();
          return;
        }
        if (!client && !admission.admit(ch, self().name())) {
          refused.incrementAndGet();
          return;
        }
        channels.add(ch);
        ch.closeFuture().addListener(f -> channels.remove(ch));
        ch.config().setAutoRead(reading);
        ChannelPipeline p = ch.pipeline();
        SslContext ssl = client ? config.clientSsl() : config.serverSsl();
        if (ssl != null) {
          p.addLast("tls", ssl.newHandler(ch.alloc(), sniHost, 0));
        }
        WireCodec.Decoder decoder =
            new WireCodec.Decoder(config.registrar(), config.handshakeFrameBytes(), bytesIn);
        p.addLast("decoder", decoder);
        p.addLast(
            "encoder", new WireCodec.Encoder(config.registrar(), config.maxFrameBytes(), bytesOut));
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        p.addLast(
            "connection", new Connection(NettyTransport.this, client, expected, decoder, dialKey));
      }
    };
  }

  @Override
  public NodeId self() {
    NodeId s = self;
    if (s == null) {
      throw new IllegalStateException("transport not started");
    }
    return s;
  }

  TransportConfig config() {
    return config;
  }

  @Override
  public boolean send(NodeId to, Object body) {
    requireNonNull(to, "to");
    requireNonNull(body, "body");
    if (closed) {
      return false;
    }
    return enqueue(new Wire.Envelope(self(), to, body));
  }

  private boolean enqueue(Wire.Envelope envelope) {
    Outbound o = outbound.computeIfAbsent(keyOf(envelope.to()), n -> new Outbound(envelope.to()));
    synchronized (o) {
      if (closed) {
        return false;
      }
      o.target = envelope.to();
      Channel ch = o.channel;
      if (o.ready && ch != null && ch.isActive()) {
        if (!ch.isWritable()) {
          // Above the high water mark: the peer reads slower than we write. Delivery is at most
          // once and the layers above repair loss, so refuse rather than grow the buffer.
          backpressured.incrementAndGet();
          return false;
        }
        ch.writeAndFlush(envelope, ch.voidPromise());
        sent.incrementAndGet();
        return true;
      }
      if (o.queue.size() >= config.maxQueuedPerPeer()) {
        overflowed.incrementAndGet();
        if (!o.overflowLogged) {
          o.overflowLogged = true;
          log.warn(
              "[{}] queue for {} is full ({} messages): refusing sends until it connects",
              self().name(),
              o.target,
              o.queue.size());
        }
        return false;
      }
      o.queue.add(envelope);
      if (!o.connecting && ch == null) {
        connect(o);
      }
      return true;
    }
  }

  private static String keyOf(NodeId to) {
    return to.name().equals(ANY) ? ANY + to.address() : to.name();
  }

  /** Called with the outbound's lock held. */
  private void connect(Outbound o) {
    o.connecting = true;
    connects.incrementAndGet();
    NodeId target = o.target;
    ChannelFuture dial =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .resolver(resolver)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(LOW_WATER_MARK, HIGH_WATER_MARK))
            .handler(
                initializer(
                    true, target.name().equals(ANY) ? null : target, target.host(), keyOf(target)))
            .connect(target.host(), target.port());
    o.dialing = dial.channel();
    dial.addListener(
        f -> {
          if (!f.isSuccess()) {
            log.debug("[{}] cannot connect to {}: {}", self().name(), target, f.cause().toString());
            failed(keyOf(target), f.cause().toString());
            synchronized (o) {
              if (o.dialing == dial.channel()) {
                o.dialing = null;
              }
              o.connecting = false;
              scheduleReconnect(o);
            }
          }
        });
  }

  /** Called with the outbound's lock held. */
  private void scheduleReconnect(Outbound o) {
    if (closed || o.queue.isEmpty()) {
      return;
    }
    long min = config.backoffMin().toMillis();
    o.backoffMillis = Math.min(config.backoffMax().toMillis(), Math.max(min, o.backoffMillis * 2));
    group.schedule(
        () -> {
          synchronized (o) {
            if (!closed && !o.connecting && o.channel == null && !o.queue.isEmpty()) {
              connect(o);
            }
          }
        },
        o.backoffMillis,
        TimeUnit.MILLISECONDS);
  }

  /** Records why the last attempt to reach {@code dialKey} failed. */
  void failed(String dialKey, String reason) {
    failures.put(dialKey, reason);
  }

  @Override
  public @Nullable String lastFailure(NodeId to) {
    return failures.get(keyOf(to));
  }

  @Override
  public java.util.concurrent.CompletableFuture<java.util.List<InetSocketAddress>> resolveAll(
      String host, int port) {
    return probes.resolveAll(host, port);
  }

  /** How many connections (incoming and outgoing, in any state) are open now. */
  int connectionsNow() {
    return channels.size();
  }

  /** How many accepted connections are in their handshake now. */
  int unauthenticatedNow() {
    return admission.pendingNow();
  }

  /** A connection completed its handshake. */
  void authenticated(Connection connection, Channel channel, NodeId peer, boolean client) {
    if (!client) {
      admission.release(channel);
      inbound.merge(peer, 1, Integer::sum);
      return;
    }
    Outbound o = outbound.get(connection.dialKey());
    if (o == null) {
      retire(channel);
      return;
    }
    synchronized (o) {
      if (o.dialing != channel && o.channel != channel) {
        // A dial of an outbound that was dropped meanwhile (disconnect, reincarnation): its
        // channel may carry an old identity and would replace the current dial's.
        retire(channel);
        return;
      }
      log.debug(
          "[{}] connected to {} as {} ({} queued)", self().name(), peer, o.target, o.queue.size());
      Channel previous = o.channel;
      if (previous != null && previous != channel) {
        retire(previous);
      }
      o.channel = channel;
      o.dialing = null;
      o.ready = true;
      o.connecting = false;
      o.backoffMillis = 0;
      o.overflowLogged = false;
      failures.remove(connection.dialKey());
      while (!o.queue.isEmpty()) {
        channel.write(o.queue.poll(), channel.voidPromise());
        sent.incrementAndGet();
      }
      channel.flush();
    }
  }

  /** A channel closed (before or after its handshake). */
  void connectionClosed(Connection connection, Channel channel) {
    NodeId peer = connection.peer();
    NodeId me = self;
    log.debug(
        "[{}] connection {} {} closed", me == null ? "?" : me.name(), connection.dialKey(), peer);
    boolean lastOne = true;
    if (connection.isAuthenticated() && peer != null && !connection.isClient()) {
      // The peer replaced its connection (a redial): the old one's close is no loss.
      lastOne = inbound.computeIfPresent(peer, (k, n) -> n > 1 ? n - 1 : null) == null;
    }
    if (connection.isAuthenticated() && peer != null && lastOne && !channel.hasAttr(RETIRED)) {
      try {
        listener.onConnectionLost(peer);
      } catch (RuntimeException e) {
        log.warn("[{}] listener failed on connection loss of {}", self().name(), peer, e);
      }
    }
    for (Outbound o : outbound.values()) {
      synchronized (o) {
        if (o.channel == channel) {
          o.channel = null;
          o.ready = false;
          if (o.dialing == null) {
            o.connecting = false;
            scheduleReconnect(o);
          } // else a redial is on its way and takes over
        } else if (o.dialing == channel) {
          o.dialing = null;
          o.connecting = false;
          if (o.channel == null) {
            scheduleReconnect(o);
          }
        }
      }
    }
  }

  @Override
  public boolean isWritable(NodeId peer) {
    Outbound o = outbound.get(keyOf(peer));
    if (o == null) {
      return true;
    }
    synchronized (o) {
      Channel ch = o.channel;
      return ch != null && o.ready && ch.isWritable();
    }
  }

  /** Records a handshake nonce; false if it was seen before (a replay). */
  boolean firstSeen(byte[] nonce) {
    return nonces.asMap().putIfAbsent(ByteBuffer.wrap(nonce.clone()), Boolean.TRUE) == null;
  }

  void refused() {
    refused.incrementAndGet();
  }

  /** An authenticated envelope from a connection's peer. */
  void deliver(Wire.Envelope envelope) {
    NodeId me = self();
    NodeId to = envelope.to();
    boolean toAnyone = to.name().equals(ANY); // a bootstrap message to a seed address
    if (!toAnyone && (!to.name().equals(me.name()) || to.incarnation() != me.incarnation())) {
      log.debug("[{}] dropping message for {} (this is {})", me.name(), to, me);
      return;
    }
    received.incrementAndGet();
    try {
      listener.onMessage(envelope.from(), envelope.body());
    } catch (RuntimeException e) {
      log.warn(
          "[{}] listener failed on {} from {}",
          me.name(),
          envelope.body().getClass().getSimpleName(),
          envelope.from(),
          e);
    }
  }

  @Override
  public void reincarnate(NodeId next) {
    NodeId me = self();
    if (!next.name().equals(me.name())
        || next.port() != me.port()
        || next.incarnation() <= me.incarnation()) {
      throw new IllegalArgumentException("next must be a later incarnation of " + me + ": " + next);
    }
    self = next;
    for (String key : java.util.List.copyOf(outbound.keySet())) {
      drop(key);
    }
    for (Channel ch : channels) {
      ch.close();
    }
  }

  @Override
  public void disconnect(NodeId peer) {
    drop(keyOf(peer));
  }

  @Override
  public void redial(NodeId peer) {
    Outbound o = outbound.get(keyOf(peer));
    if (o == null || closed) {
      return;
    }
    synchronized (o) {
      if (!o.connecting && o.channel != null) {
        connect(o); // the current connection carries on until the new one is authenticated
      }
    }
  }

  /** Closes the outgoing connection under {@code key} and drops what is queued for it. */
  private void drop(String key) {
    Outbound o = outbound.remove(key);
    if (o != null) {
      synchronized (o) {
        o.queue.clear();
        Channel ch = o.channel;
        if (ch != null) {
          retire(ch);
        }
        Channel dial = o.dialing;
        if (dial != null) {
          retire(dial);
        }
      }
    }
  }

  /** Closes an outgoing channel this node gave up on; its close tells the listener nothing. */
  private static void retire(Channel ch) {
    ch.attr(RETIRED).set(Boolean.TRUE);
    ch.close();
  }

  @Override
  public java.util.concurrent.CompletableFuture<Boolean> probeRefused(NodeId peer) {
    if (closed) {
      return java.util.concurrent.CompletableFuture.completedFuture(false);
    }
    return probes.probeRefused(peer);
  }

  @Override
  public void reading(boolean on) {
    reading = on;
    for (Channel ch : channels) {
      ch.config().setAutoRead(on);
    }
  }

  @Override
  public TransportStats stats() {
    return new TransportStats(
        sent.get(),
        received.get(),
        bytesOut.sum(),
        bytesIn.sum(),
        connects.get(),
        refused.get(),
        overflowed.get() + backpressured.get());
  }

  /** Closes every connection and stops the event loops; waits up to a few seconds. */
  @Override
  public void close() {
    if (closed && group.isShutdown()) {
      return;
    }
    closed = true;
    Channel s = server;
    if (s != null) {
      s.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    for (Channel ch : channels) {
      ch.close();
    }
    for (Outbound o : outbound.values()) {
      synchronized (o) {
        o.queue.clear();
      }
    }
    resolver.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
