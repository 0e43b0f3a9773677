package io.flock.membership.internal.transport;

import io.flock.membership.NodeId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** Transports on 127.0.0.1 for tests; closes them all. */
final class TestNodes implements AutoCloseable {
  static final byte[] SECRET = "a test secret of enough bytes".getBytes(StandardCharsets.UTF_8);

  /** A message received by a node. */
  record Received(NodeId from, Object body) {}

  /** Records what a transport delivers. */
  static final class Inbox implements Transport.Listener {
    final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<NodeId> lost = new LinkedBlockingQueue<>();

    @Override
    public void onMessage(NodeId from, Object body) {
      messages.add(new Received(from, body));
    }

    @Override
    public void onConnectionLost(NodeId peer) {
      lost.add(peer);
    }
  }

  private final List<NettyTransport> started = new ArrayList<>();

  static TransportConfig config() {
    return TransportConfig.defaults("test-cluster", SECRET, kryo -> {});
  }

  NettyTransport start(String name, Transport.Listener listener) {
    return start(name, config(), listener, 1);
  }

  NettyTransport start(String name, TransportConfig config, Transport.Listener listener, long inc) {
    NettyTransport t =
        NettyTransport.start(name, "127.0.0.1", 0, "127.0.0.1", inc, config, listener, 1);
    started.add(t);
    return t;
  }

  @Override
  public void close() {
    started.forEach(NettyTransport::close);
  }
}
