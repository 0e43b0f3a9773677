package io.flock.membership.internal.lease;

import io.flock.membership.ClusterEvent;
import io.flock.membership.NodeId;
import io.flock.membership.internal.protocol.ClusterMessages.Heartbeat;
import io.flock.membership.internal.router.MessageRouter;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.transport.Transport;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The lease protocol on the wire: heartbeats carry their send time, whether the sender is fenced,
 * its evidence, and the send time of the recipient's newest heartbeat it received (its
 * acknowledgement: in the next heartbeat, not in a message of its own). Drives this node's {@link
 * Lease}, the {@link LeaseWatchdog} that fences on time, and the {@link LapseEvidence} about the
 * others. Core thread only, except {@link #hasLease}, {@link #remainingNanos} and {@link #fence}.
 */
public final class LeaseProtocol implements AutoCloseable {
  private final NodeRuntime runtime;
  private final Transport transport;
  private final String self;
  private final long duration;
  private final Lease lease;
  private final LapseEvidence evidence;
  private final LeaseWatchdog watchdog;
  private final StaleLinks links;
  private final Consumer<List<ClusterEvent>> emit;
  private final BooleanSupplier joined;
  private final Supplier<Set<String>> expected;
  private final ToIntFunction<Set<String>> size;
  private long upSince;
  // The newest heartbeat send time received from each peer incarnation, acknowledged in the next
  // heartbeat to that incarnation only (another process's clock means nothing here).
  private final Map<NodeId, Long> received = new HashMap<>();

  /**
   * @param joined whether this node is an UP member
   * @param expected the names quorum is counted over
   * @param size the number quorum is counted against for a set of names
   */
  public LeaseProtocol(
      NodeRuntime runtime,
      Transport transport,
      Duration duration,
      Duration lapse,
      MessageRouter router,
      Consumer<List<ClusterEvent>> emit,
      BooleanSupplier joined,
      Supplier<Set<String>> expected,
      ToIntFunction<Set<String>> size) {
    this.runtime = runtime;
    this.transport = transport;
    this.self = transport.self().name();
    this.duration = duration.toNanos();
    this.lease = new Lease(duration, runtime::nanoTime);
    this.evidence = new LapseEvidence(lapse);
    this.links = new StaleLinks(transport, lapse);
    this.emit = emit;
    this.joined = joined;
    this.expected = expected;
    this.size = size;
    this.watchdog =
        new LeaseWatchdog(
            self,
            lease,
            () ->
                runtime.execute(
                    () -> emit.accept(List.of(new ClusterEvent.LeaseLost(transport.self())))));
    router.register(Heartbeat.class, this::onHeartbeat);
  }

  /** Any thread: whether this node holds its lease now. */
  public boolean hasLease() {
    return lease.isValid();
  }

  /** Any thread: nanoseconds left on the lease (0 if lapsed). */
  public long remainingNanos() {
    return lease.remainingNanos();
  }

  /** Any thread: {@code action} runs on the watchdog thread the moment the lease lapses. */
  public void fence(Runnable action) {
    watchdog.fence(action);
  }

  /**
   * Ends this incarnation's lease at once (it was declared down or removed): every acknowledgement
   * is forgotten and the fences run now on the watchdog thread. The caller makes sure {@code
   * joined} is false from now on, so no late acknowledgement renews it.
   */
  public void revoke() {
    lease.revoke();
    watchdog.checkNow();
  }

  /** This node became UP now. */
  public void up() {
    upSince = runtime.nanoTime();
    recompute();
  }

  /** Whether this node is a member that has held no lease for longer than a lease period. */
  public boolean fenced() {
    return joined.getAsBoolean() && runtime.nanoTime() - upSince > duration && !lease.isValid();
  }

  /**
   * The heartbeat to send now to members {@code peers}; the links to the peers it reports as not
   * acknowledged are redialed (see {@link StaleLinks}).
   */
  public Heartbeat heartbeat(Collection<NodeId> peers) {
    long now = runtime.nanoTime();
    Map<String, NodeId> byName = new HashMap<>();
    for (NodeId p : peers) {
      byName.put(p.name(), p);
    }
    List<String> unacked = evidence.unackedByMe(byName.keySet(), now);
    for (String name : unacked) {
      links.suspect(java.util.Objects.requireNonNull(byName.get(name)), "not heard", now);
    }
    return new Heartbeat(now, fenced(), unacked.toArray(new String[0]), Heartbeat.NONE);
  }

  /** {@code beat} for {@code peer}: it acknowledges the newest heartbeat received from it. */
  public Heartbeat acking(Heartbeat beat, NodeId peer) {
    Long newest = received.get(peer);
    return newest == null ? beat : beat.acking(newest);
  }

  /** A peer was first seen (its acknowledgement clock starts now). */
  public void seen(String peer) {
    evidence.acked(peer, runtime.nanoTime());
  }

  /** Forgets {@code peer}. */
  public void forget(String peer) {
    received.keySet().removeIf(id -> id.name().equals(peer));
    lease.forget(peer);
    evidence.forget(peer);
    links.forget(peer);
  }

  /** Whether {@code peer} says it is fenced. */
  public boolean saysFenced(String peer) {
    return evidence.saysFenced(peer);
  }

  /** Whether {@code peer}'s lease must have lapsed, by a quorum's evidence or its own word. */
  public boolean lapsed(String peer) {
    Set<String> names = expected.get();
    return evidence.lapsed(peer, self, names, size.applyAsInt(names), runtime.nanoTime());
  }

  /** Recomputes this node's lease (after acknowledgements or a membership change). */
  public void recompute() {
    Set<String> names = expected.get();
    if (lease.recompute(joined.getAsBoolean(), names, size.applyAsInt(names), self)) {
      watchdog.arm();
      emit.accept(List.of(new ClusterEvent.LeaseRegained(transport.self())));
    }
  }

  private void onHeartbeat(NodeId from, Heartbeat h) {
    received.merge(from, h.sentAt(), Math::max);
    if (h.acks() != Heartbeat.NONE) {
      lease.acked(from.name(), h.acks());
      recompute();
    }
    long now = runtime.nanoTime();
    evidence.acked(from.name(), now);
    evidence.selfReport(from.name(), h.fenced());
    Set<String> unacked = Set.of(h.unacked());
    evidence.report(from.name(), unacked, now);
    if (unacked.contains(self)) {
      links.suspect(from, "it does not hear this node", now);
    }
  }

  @Override
  public void close() {
    watchdog.close();
  }
}
