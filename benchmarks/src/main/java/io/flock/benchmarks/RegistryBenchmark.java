package io.flock.benchmarks;

import io.flock.registry.Registry;
import io.flock.supervisor.ChildRef;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The registry on 3 in-JVM nodes over loopback: 10,000 names registered on one node (issued at
 * once) until every node's {@code lookup} finds all of them, in a fresh cluster each round (see
 * {@link Rounds}); then, in the last round, the cost of a {@code lookup} of a name owned on another
 * node and the heap per name (all three replicas, over 3).
 */
final class RegistryBenchmark {
  private static final int WARMUPS = 15;

  private RegistryBenchmark() {}

  static void run() throws Exception {
    System.out.println("## Registry on loopback (3 nodes in one JVM)");
    System.out.println("| measure | nodes | value | note |");
    System.out.println("|---|---|---|---|");
    Rounds.Summary visible = Rounds.run(WARMUPS, 5, (round, last) -> once(round, last, false));
    var unused = once(WARMUPS + 5, false, true); // its forced GCs would slow a timed round
    row(
        "10,000 names registered on n0 until every node finds all",
        ClusterBenchmark.ms(visible.median()),
        "issued at once; " + visible.describe(ClusterBenchmark::ms, WARMUPS));
  }

  /**
   * Waits until the clusters of earlier runs are collected: their event loops end a quiet period
   * after close and hold them until then (about a second each), which hid the names' own heap.
   */
  private static void settle() throws InterruptedException {
    long before = ClusterBenchmark.usedHeap();
    for (int i = 0; i < 20; i++) {
      Thread.sleep(500);
      long now = ClusterBenchmark.usedHeap();
      if (Math.abs(before - now) < 512 * 1024) {
        return;
      }
      before = now;
    }
  }

  /**
   * One round in a fresh cluster; returns the time until every node found every name. With {@code
   * lookups} it then measures a lookup; with {@code heap}, the heap per name.
   */
  private static long once(int round, boolean lookups, boolean heap) throws Exception {
    if (round == 0 || heap) {
      settle();
    } else if (round >= WARMUPS) {
      // Measured rounds start alike, the earlier clusters' threads gone; no forced GCs here: with
      // settle() before each, the timed rounds read about twice as slow.
      Thread.sleep(1_000);
    }
    try (TestCluster c = TestCluster.start(3, b -> b.wireTypes(Registry.wireTypes()))) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "3 nodes up");
      List<Registry> regs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        regs.add(Registry.builder("bench", c.node(i)).start());
      }
      long heapBefore = heap ? ClusterBenchmark.usedHeap() : 0;
      int n = 10_000;
      List<CompletableFuture<?>> all = new ArrayList<>(n);
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) { // all at once: their acknowledgements are polled together
        all.add(regs.get(0).register("name-" + i, new ChildRef("child-" + i, c.node(0).self(), 1)));
      }
      TestCluster.await(
          Duration.ofSeconds(60),
          Duration.ofMillis(1),
          () -> regs.stream().allMatch(r -> r.count() == n),
          "every node finds every name");
      long visible = System.nanoTime() - t0;
      CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
      if (heap) {
        row(
            "heap per name, per replica",
            (ClusterBenchmark.usedHeap() - heapBefore) / n / 3 + " B",
            "registration + indexes + CRDT entry");
      }
      if (lookups) {
        lookups(regs.get(2), n);
      }
      regs.forEach(Registry::close);
      return visible;
    }
  }

  private static void lookups(Registry remote, int n) {
    int lookups = 2_000_000;
    long found = 0;
    for (int i = 0; i < lookups; i++) { // warm-up
      found += remote.lookup("name-" + (i % n)).isPresent() ? 1 : 0;
    }
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      keys[i] = "name-" + i;
    }
    long t1 = System.nanoTime();
    for (int i = 0; i < lookups; i++) {
      found += remote.lookup(keys[i % n]).isPresent() ? 1 : 0;
    }
    long perLookup = (System.nanoTime() - t1) / lookups;
    row(
        "lookup of a name owned by another node",
        perLookup + " ns",
        "from the local replica, no remote call (" + (found > 0 ? "found" : "none") + ")");
  }

  private static void row(String what, String value, String note) {
    System.out.printf(Locale.ROOT, "| %s | 3 | %s | %s |%n", what, value, note);
  }
}
