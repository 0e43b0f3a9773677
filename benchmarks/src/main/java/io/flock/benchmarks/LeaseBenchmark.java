package io.flock.benchmarks;

import io.flock.membership.ClusterEvent;
import io.flock.membership.NodeId;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lease against the failure detector, in-JVM with default settings: after a silent cut of one
 * of 3 nodes (both directions, no connection closes), how long the cut node keeps a valid lease,
 * and how long the others take to declare it down. The safety margin is the difference; the
 * builder's rule guarantees it is at least {@code downAfter - lapse - heartbeat}.
 *
 * <p>Run: {@code ./flock bench lease} (5 repetitions, medians; about 30 s).
 */
public final class LeaseBenchmark {
  private LeaseBenchmark() {}

  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    List<Long> leaseKept = new ArrayList<>();
    List<Long> downAfter = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      try (TestCluster c = TestCluster.start(3)) {
        TestCluster.await(Duration.ofSeconds(20), c::converged, "3 nodes up");
        TestCluster.await(Duration.ofSeconds(20), c.node(2)::hasLease, "n2 holds its lease");
        AtomicLong lost = new AtomicLong();
        c.node(2).onLeaseLost(() -> lost.compareAndSet(0, System.nanoTime()));
        NodeId n2 = c.node(2).self();
        long cut = System.nanoTime();
        c.partition(Set.of(2));
        TestCluster.await(
            Duration.ofSeconds(20),
            () -> c.events(0).contains(new ClusterEvent.MemberDown(n2)),
            "n0 declares n2 down");
        long down = System.nanoTime();
        leaseKept.add((lost.get() - cut) / 1_000_000);
        downAfter.add((down - cut) / 1_000_000);
      }
    }
    double kept = Compare.median(leaseKept.stream().mapToDouble(Long::doubleValue).toArray());
    double down = Compare.median(downAfter.stream().mapToDouble(Long::doubleValue).toArray());
    System.out.printf(
        Locale.ROOT,
        "lease after a silent cut (3 nodes, defaults, %d runs): cut node's lease lapsed after"
            + " %.0f ms (median; all %s), the others declared it down after %.0f ms (all %s):"
            + " margin %.0f ms%n",
        runs,
        kept,
        leaseKept,
        down,
        downAfter,
        down - kept);
  }
}
