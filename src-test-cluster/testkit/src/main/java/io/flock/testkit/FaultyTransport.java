package io.flock.testkit;

import io.flock.membership.NodeId;
import io.flock.membership.internal.protocol.ClusterMessages;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.transport.TransportStats;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * The test fault seam: a {@link Transport} decorator that drops the messages {@code cut} selects
 * (by sender and receiver name), so a test can cut links one way or both; and the messages on a
 * black-holed connection (a {@code "from|to"} entry of {@code holes}), which stays dead until the
 * sender redials or closes it (a half-open TCP connection: the sender's kernel still holds it
 * open); and the replication messages of one scope on one link (a {@code "from|to|scope"} entry of
 * {@code scopeCuts}), so a test can hold one scope back while membership keeps flowing.
 */
final class FaultyTransport implements Transport {
  private final Transport inner;
  private final BiPredicate<String, String> cut;
  private final Set<String> holes;
  private final Set<String> scopeCuts;

  FaultyTransport(
      Transport inner, BiPredicate<String, String> cut, Set<String> holes, Set<String> scopeCuts) {
    this.inner = inner;
    this.cut = cut;
    this.holes = holes;
    this.scopeCuts = scopeCuts;
  }

  private boolean lost(String to) {
    String from = inner.self().name();
    return cut.test(from, to) || holes.contains(from + "|" + to);
  }

  @Override
  public NodeId self() {
    return inner.self();
  }

  @Override
  public boolean send(NodeId to, Object body) {
    if (lost(to.name())
        || (body instanceof ClusterMessages.Scoped s
            && scopeCuts.contains(inner.self().name() + "|" + to.name() + "|" + s.scope()))) {
      return true; // lost on the (simulated) wire
    }
    return inner.send(to, body);
  }

  @Override
  public void redial(NodeId peer) {
    holes.remove(inner.self().name() + "|" + peer.name());
    inner.redial(peer);
  }

  @Override
  public void disconnect(NodeId peer) {
    holes.remove(inner.self().name() + "|" + peer.name());
    inner.disconnect(peer);
  }

  @Override
  public void reincarnate(NodeId next) {
    holes.removeIf(h -> h.startsWith(next.name() + "|"));
    inner.reincarnate(next);
  }

  @Override
  public boolean isWritable(NodeId peer) {
    return inner.isWritable(peer);
  }

  @Override
  public java.util.concurrent.CompletableFuture<Boolean> probeRefused(NodeId peer) {
    if (cut.test(inner.self().name(), peer.name())) {
      // A cut link answers nothing: a probe across it times out, it is never refused.
      return java.util.concurrent.CompletableFuture.completedFuture(false);
    }
    return inner.probeRefused(peer);
  }

  @Override
  public @org.jspecify.annotations.Nullable String lastFailure(NodeId to) {
    return inner.lastFailure(to);
  }

  @Override
  public java.util.concurrent.CompletableFuture<java.util.List<java.net.InetSocketAddress>>
      resolveAll(String host, int port) {
    return inner.resolveAll(host, port);
  }

  @Override
  public void reading(boolean on) {
    inner.reading(on);
  }

  @Override
  public TransportStats stats() {
    return inner.stats();
  }

  @Override
  public void close() {
    inner.close();
  }
}
