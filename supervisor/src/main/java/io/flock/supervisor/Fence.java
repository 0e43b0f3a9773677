package io.flock.supervisor;

import io.flock.membership.Cluster;
import java.time.Duration;

/**
 * Whether this node may run children now. With a quorum strategy: only with quorum and a valid
 * lease, and not until {@code rejoinGrace} after regaining them (the majority's newer placements
 * are on their way). The lease thread marks a loss at once ({@link #leaseLost}); the core reads.
 *
 * <p>Threading: {@link #leaseLost} any thread; the rest core thread.
 */
final class Fence {
  private final Cluster cluster;
  private final boolean quorumMode;
  private final long graceNanos;
  private volatile boolean leaseLost;
  private boolean wasFenced;
  private boolean wasFree; // it ran unfenced before: only then can it hold stale placements
  private long graceUntil;

  Fence(Cluster cluster, boolean quorumMode, Duration rejoinGrace) {
    this.cluster = cluster;
    this.quorumMode = quorumMode;
    this.graceNanos = rejoinGrace.toNanos();
  }

  /** The lease lapsed (lease thread). */
  void leaseLost() {
    leaseLost = true;
  }

  /** Core thread: whether this node must not run children now (updates the rejoin grace). */
  boolean fencedNow() {
    if (leaseLost && cluster.hasLease()) {
      leaseLost = false;
    }
    // A node the explicit member set excludes runs nothing (a placement made on it before the set
    // reached its arbiter is claimed by the others).
    boolean fenced =
        (quorumMode && (!cluster.hasQuorumNow() || leaseLost))
            || !cluster.isEligibleNow(cluster.self().name());
    long now = System.nanoTime();
    if (fenced) {
      wasFenced = true;
    } else if (wasFenced && wasFree) {
      wasFenced = false;
      graceUntil = now + graceNanos;
    } else {
      wasFenced = false;
      wasFree = true;
    }
    return fenced || now - graceUntil < 0;
  }

  /**
   * Core thread: whether this node may claim orphans: not fenced (nor in the rejoin grace, when its
   * view may still be stale) and holding its lease.
   */
  boolean mayClaim() {
    return !fencedNow() && cluster.hasLease();
  }

  /** Core thread: whether this node may place a new child (lease held, and quorum if needed). */
  boolean mayPlace() {
    return cluster.hasLease() && (!quorumMode || (cluster.hasQuorumNow() && !leaseLost));
  }
}
