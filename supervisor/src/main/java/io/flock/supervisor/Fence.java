package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Whether this node may run children now. With a quorum strategy: only with quorum and a valid
 * lease, and each time it becomes free again (after a fence, or as a new incarnation) not until its
 * placements caught up with a majority (the majority's newer placements are on their way: a claim
 * made from an older view runs a second copy of a child at the same generation) and {@code
 * rejoinGrace} has passed. The lease thread marks a loss at once ({@link #leaseLost}); the core
 * reads.
 *
 * <p>Threading: {@link #leaseLost} any thread; the rest core thread.
 */
final class Fence {
  private static final long NO_CATCH_UP = 0;

  private final Cluster cluster;
  private final Scope<?, ?> placements;
  private final boolean quorumMode;
  private final long graceNanos;
  private volatile boolean leaseLost;
  private boolean wasFenced;
  private @Nullable NodeId freeAs; // the incarnation it last ran unfenced as
  private long graceUntil;
  private long catchUp = NO_CATCH_UP; // the mark of the catch-up it waits for

  Fence(Cluster cluster, Scope<?, ?> placements, boolean quorumMode, Duration rejoinGrace) {
    this.cluster = cluster;
    this.placements = placements;
    this.quorumMode = quorumMode;
    this.graceNanos = rejoinGrace.toNanos();
  }

  /** The lease lapsed (lease thread). */
  void leaseLost() {
    leaseLost = true;
  }

  /** Core thread: whether this node must not run children now (updates the rejoin state). */
  boolean fencedNow() {
    // A lapse counts as a fence at least once, even if the lease is back by the time the core
    // looks: what it stopped must go through the catch-up and the grace before it runs again.
    boolean lapsed = leaseLost;
    if (lapsed && cluster.hasLease()) {
      leaseLost = false;
    }
    // A node the explicit member set excludes runs nothing (a placement made on it before the set
    // reached its arbiter is claimed by the others).
    boolean fenced =
        (quorumMode && (!cluster.hasQuorumNow() || lapsed))
            || !cluster.isEligibleNow(cluster.self().name());
    long now = System.nanoTime();
    NodeId self = cluster.self();
    if (fenced) {
      wasFenced = true;
    } else if (wasFenced || !self.equals(freeAs)) {
      if (freeAs != null) {
        graceUntil = now + graceNanos; // it ran before: it may hold placements others replaced
      }
      if (quorumMode) {
        catchUp = placements.catchUpNow();
      }
      wasFenced = false;
      freeAs = self;
    }
    if (catchUp != NO_CATCH_UP && placements.caughtUpNow(catchUp) >= cluster.majorityNow()) {
      catchUp = NO_CATCH_UP;
    }
    return fenced || now - graceUntil < 0 || catchUp != NO_CATCH_UP;
  }

  /**
   * Core thread: whether this node may claim orphans: not fenced (nor catching up or in the rejoin
   * grace, when its view may still be stale) and holding its lease.
   */
  boolean mayClaim() {
    return !fencedNow() && cluster.hasLease();
  }

  /** Core thread: whether this node may place a new child (lease held, and quorum if needed). */
  boolean mayPlace() {
    return cluster.hasLease() && (!quorumMode || (cluster.hasQuorumNow() && !leaseLost));
  }
}
