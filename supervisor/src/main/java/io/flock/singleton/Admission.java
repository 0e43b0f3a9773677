package io.flock.singleton;

import io.flock.membership.Cluster;
import io.flock.membership.Scope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The check a term passes before {@link Leader#onLeader}: two placements of one generation can
 * exist for a moment (two nodes that placed the singleton at once, before either saw the other's
 * placement), and the supervisor would start both. So each new term first publishes its record
 * (keyed by its node), waits until a majority holds it, then catches up with a majority, and begins
 * only if it sees no other node's record of its generation or later from a node that is not gone
 * for good. Of two such terms at most one begins: if neither saw the other, each catch-up would
 * have to precede the other's majority hold, which precedes its own catch-up. The loser's placement
 * is superseded (it ends and removes its record), and the winner's next round passes.
 *
 * <p>Threading: the term's thread; it asks the cluster's core each time the records' replication
 * made progress (a member acknowledged more, a catch-up completed), and every 10 ms for what
 * progress does not signal (a membership change moves the majority).
 */
final class Admission {
  private static final long FALLBACK_MILLIS = 10;
  private static final long RETRY_MILLIS = 50;

  private final Cluster cluster;
  private final Scope<String, LeaderRecord> records;
  // One party that arrives at each progress of the records: a waiter watches the phase change.
  private final Phaser progress = new Phaser(1);

  Admission(Cluster cluster, Scope<String, LeaderRecord> records) {
    this.cluster = cluster;
    this.records = records;
    records.onProgress(progress::arrive);
  }

  /**
   * Blocks until the term of {@code mine} may begin; returns false if {@code current} turned false
   * first (the term was superseded or asked to stop).
   *
   * @throws InterruptedException if the term's thread was interrupted (asked to stop)
   */
  boolean admit(Supplier<LeaderRecord> mine, BooleanSupplier current) throws InterruptedException {
    while (current.getAsBoolean()) {
      LeaderRecord r = mine.get();
      long written =
          onCore(
              () -> {
                var unused = records.putNow(r.leader().name(), r);
                return records.writeMarkNow();
              });
      if (!await(() -> records.holdersNow(written) >= cluster.majorityNow(), current)) {
        return false;
      }
      long read = onCore(records::catchUpNow);
      if (!await(() -> records.caughtUpNow(read) >= cluster.majorityNow(), current)) {
        return false;
      }
      if (onCore(() -> !competed(r))) {
        return true;
      }
      Thread.sleep(RETRY_MILLIS);
    }
    return false;
  }

  /** Core thread: whether another node's record of {@code r}'s generation or later may run. */
  private boolean competed(LeaderRecord r) {
    boolean[] competed = {false};
    records.forEachNow(
        (node, other) -> {
          if (!node.equals(r.leader().name())
              && other.generation() >= r.generation()
              && !cluster.isGoneForGoodNow(other.leader())) {
            competed[0] = true;
          }
        });
    return competed[0];
  }

  /** Removes {@code r} (the term ended) unless a later record of this node replaced it. */
  void withdraw(LeaderRecord r) {
    try {
      cluster
          .onCore()
          .execute(
              () -> {
                var unused =
                    records.removeIfNow(
                        r.leader().name(),
                        v -> v.leader().equals(r.leader()) && v.generation() == r.generation());
              });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // the node closed: its record goes when the others see it gone
    }
  }

  private boolean await(BooleanSupplier reached, BooleanSupplier current)
      throws InterruptedException {
    while (current.getAsBoolean()) {
      int phase = progress.getPhase();
      if (onCore(reached::getAsBoolean)) {
        return true;
      }
      try {
        progress.awaitAdvanceInterruptibly(phase, FALLBACK_MILLIS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException fallback) {
        // look again: the majority may have moved
      }
    }
    return false;
  }

  private <T> T onCore(Supplier<T> task) throws InterruptedException {
    try {
      return CompletableFuture.supplyAsync(task, cluster.onCore()).get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the cluster's core did not answer", e);
    }
  }
}
