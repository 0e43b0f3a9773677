package io.flock.benchmarks;

import io.flock.groups.ProcessGroups;
import io.flock.supervisor.ChildInfo;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Process groups on 3 in-JVM nodes over loopback: 100,000 memberships (3,000 children, each in 33
 * or 34 of 100 groups) until every node lists all of them; then one join at a time until every node
 * shows it (p50 / p99); the cost of {@code members(group)}; heap per membership; the idle CPU with
 * all of them against none.
 */
final class GroupsBenchmark {
  private GroupsBenchmark() {}

  private static final int CHILDREN_PER_NODE = 1_000;
  private static final int GROUPS = 100;
  private static final int MEMBERSHIPS = 100_000;

  static void run() throws Exception {
    System.out.println("## Process groups on loopback (3 nodes in one JVM)");
    System.out.println("| measure | nodes | value | note |");
    System.out.println("|---|---|---|---|");
    try (TestCluster c =
        TestCluster.start(
            3,
            b ->
                b.wireTypes(DistributedSupervisor.wireTypes())
                    .wireTypes(ProcessGroups.wireTypes()))) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "3 nodes up");
      List<DistributedSupervisor> sups = new ArrayList<>();
      List<ProcessGroups> pgs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        DistributedSupervisor s =
            DistributedSupervisor.builder("bench", c.node(i))
                .factory("park", spec -> ctx -> Thread.sleep(Long.MAX_VALUE))
                .start();
        sups.add(s);
        pgs.add(ProcessGroups.start("bench", c.node(i), s));
      }
      List<List<ChildRef>> local = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        local.add(new ArrayList<>());
      }
      List<CompletableFuture<ChildRef>> starts = new ArrayList<>();
      for (int k = 0; k < 3 * CHILDREN_PER_NODE; k++) {
        starts.add(sups.get(k % 3).startChild(ChildSpec.of("c" + k, "park")));
        if (starts.size() % 1_000 == 0) {
          starts.get(starts.size() - 1).get(60, TimeUnit.SECONDS);
        }
      }
      CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0]))
          .get(60, TimeUnit.SECONDS);
      for (int i = 0; i < 3; i++) {
        for (ChildInfo ci : sups.get(i).localChildren().join()) {
          ChildRef ref = new ChildRef(ci.id(), c.node(i).self(), ci.generation());
          if (sups.get(i).runsHere(ref)) {
            local.get(i).add(ref);
          }
        }
      }
      long cpuNone = idleCpuNanos();
      long heapBefore = ClusterBenchmark.usedHeap();
      long t0 = System.nanoTime();
      int joined = 0;
      List<CompletableFuture<Void>> joins = new ArrayList<>();
      for (int i = 0; i < 3 && joined < MEMBERSHIPS; i++) {
        for (ChildRef ref : local.get(i)) {
          for (int g = 0; g < GROUPS && joined < MEMBERSHIPS; g += 3) {
            joins.add(
                pgs.get(i).join("g" + ((g + ref.id().hashCode() & 0x7fffffff) % GROUPS), ref));
            joined++;
          }
        }
      }
      CompletableFuture.allOf(joins.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
      int expected = joined;
      TestCluster.await(
          Duration.ofMinutes(2),
          Duration.ofMillis(5),
          () -> pgs.stream().allMatch(p -> total(p) == expected),
          "every node lists every membership");
      long visible = System.nanoTime() - t0;
      long heapPer = (ClusterBenchmark.usedHeap() - heapBefore) / expected / 3;
      long cpuAll = idleCpuNanos();
      row(
          String.format(Locale.ROOT, "%,d memberships joined until every node lists all", expected),
          ClusterBenchmark.ms(visible),
          local.get(0).size()
              + local.get(1).size()
              + local.get(2).size()
              + " children, "
              + GROUPS
              + " groups");
      // One join at a time, from n0, until n1 and n2 show it.
      long[] lat = new long[200];
      int warmUp = 50; // the first joins compile the path they take (measured: 3-4 ms each)
      for (int k = -warmUp; k < lat.length; k++) {
        ChildRef ref = local.get(0).get((k + warmUp) % local.get(0).size());
        String group = "solo-" + k;
        // Each node's monitor hears the join as its view shows it; the benchmark thread waits
        // parked (a spinning one took one of the machine's two cores from the three nodes).
        java.util.concurrent.CountDownLatch seen = new java.util.concurrent.CountDownLatch(2);
        List<io.flock.groups.GroupMonitor> monitors = new ArrayList<>();
        for (int i = 1; i < 3; i++) {
          monitors.add(pgs.get(i).monitor(group, e -> seen.countDown()).join());
        }
        long s0 = System.nanoTime();
        pgs.get(0).join(group, ref).join();
        if (!seen.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new IllegalStateException("join of " + group + " not seen on every node");
        }
        if (k >= 0) {
          lat[k] = System.nanoTime() - s0;
        }
        monitors.forEach(io.flock.groups.GroupMonitor::cancel);
      }
      Arrays.sort(lat);
      row(
          "one join until every node shows it, p50 / p99",
          String.format(
              Locale.ROOT,
              "%.2f / %.2f ms",
              lat[lat.length / 2] / 1e6,
              lat[lat.length * 99 / 100] / 1e6),
          "200 joins, one at a time, after 50 unmeasured, with " + expected + " memberships held");
      ProcessGroups p2 = pgs.get(2);
      int reads = 100_000;
      long sink = 0;
      for (int k = 0; k < reads; k++) {
        sink += p2.members("g" + (k % GROUPS)).size();
      }
      long r0 = System.nanoTime();
      for (int k = 0; k < reads; k++) {
        sink += p2.members("g" + (k % GROUPS)).size();
      }
      long perRead = (System.nanoTime() - r0) / reads;
      row(
          "members(group) of a group of ~" + expected / GROUPS + " members",
          perRead + " ns",
          "a local read; a group unchanged since the last read shares one immutable list (the"
              + " first read after a change builds it, O(members)); checksum "
              + (sink % 10));
      row("heap per membership, per replica", heapPer + " B", "entry + mirror + CRDT dot");
      row(
          "idle CPU of the JVM (3 nodes) over 5 s: none / all memberships",
          String.format(Locale.ROOT, "%.2f%% / %.2f%%", cpuNone / 5e9 * 100, cpuAll / 5e9 * 100),
          "of one core");
      pgs.forEach(ProcessGroups::close);
      sups.forEach(DistributedSupervisor::close);
    }
  }

  private static int total(ProcessGroups p) {
    int n = 0;
    for (String g : p.whichGroups()) {
      n += p.members(g).size();
    }
    return n;
  }

  private static long idleCpuNanos() throws InterruptedException {
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    Thread.sleep(2_000);
    long cpu0 = os.getProcessCpuTime();
    Thread.sleep(5_000);
    return os.getProcessCpuTime() - cpu0;
  }

  private static void row(String what, String value, String note) {
    System.out.printf(Locale.ROOT, "| %s | 3 | %s | %s |%n", what, value, note);
  }
}
