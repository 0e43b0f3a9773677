package io.flock.benchmarks;

import io.flock.membership.ClusterEvent;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Cluster numbers on loopback with nodes in one JVM (so they share 2 cores and one GC): write
 * visibility, crash detection, idle traffic, and the distributed supervisor at scale.
 *
 * <p>Run: {@code ./flock bench cluster}.
 */
public final class ClusterBenchmark {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private ClusterBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("kill")) {
      System.out.println(KillFailover.section(5));
      return;
    }
    System.out.println("## Cluster on loopback (in one JVM)");
    System.out.println("| measure | nodes | p50 | p99 | max | note |");
    System.out.println("|---|---|---|---|---|---|");
    if (args.length > 0 && args[0].equals("failover")) {
      silentCutFailover();
      return;
    }
    if (args.length > 0 && args[0].equals("idle")) {
      for (int children : new int[] {1, 10_000, 100_000}) {
        supervisorScale(children);
      }
      return;
    }
    if (args.length > 0 && args[0].equals("latency")) {
      writeVisibility(3); // the replication hop a start's acknowledgement waits for
      startLatency();
      return;
    }
    if (args.length > 0 && args[0].equals("scale")) {
      supervisorScale(10_000);
      if (args.length < 2 || !args[1].equals("10k")) {
        supervisorScale(100_000);
      }
      return;
    }
    for (int n : new int[] {3, 5, 8}) {
      writeVisibility(n);
    }
    crashDetection();
    idleTraffic(5);
    for (int children : new int[] {10_000, 100_000}) {
      supervisorScale(children);
    }
  }

  private static void writeVisibility(int n) throws Exception {
    try (TestCluster c = TestCluster.start(n)) {
      TestCluster.await(WAIT, c::converged, n + " nodes up");
      AtomicReference<CountDownLatch> seen = new AtomicReference<>(new CountDownLatch(0));
      AtomicReference<String> expected = new AtomicReference<>("");
      for (int i = 1; i < n; i++) {
        Scope<String, String> s = c.node(i).scope("bench");
        s.subscribe(
            changes -> {
              for (var ch : changes) {
                if (ch.key().equals(expected.get())) {
                  java.util.Objects.requireNonNull(seen.get()).countDown();
                }
              }
            });
      }
      Scope<String, String> writer = c.node(0).scope("bench");
      Thread.sleep(500);
      int rounds = 2_000;
      int warmup = 300;
      long[] nanos = new long[rounds];
      for (int i = -warmup; i < rounds; i++) {
        String key = "k" + (i + warmup);
        CountDownLatch latch = new CountDownLatch(n - 1);
        seen.set(latch);
        expected.set(key);
        long t0 = System.nanoTime();
        writer.put(key, "v").join();
        if (!latch.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("write not visible everywhere");
        }
        if (i >= 0) {
          nanos[i] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(nanos);
      row(
          "one write visible on all nodes",
          n,
          ms(nanos[rounds / 2]),
          ms(nanos[rounds * 99 / 100]),
          ms(nanos[rounds - 1]),
          rounds + " sequential writes");
    }
  }

  private static void crashDetection() throws Exception {
    int rounds = 5;
    long[] nanos = new long[rounds];
    try (TestCluster c = TestCluster.start(3)) {
      for (int r = 0; r < rounds; r++) {
        TestCluster.await(WAIT, c::converged, "3 nodes up");
        NodeId victim = c.node(2).self();
        long t0 = System.nanoTime();
        c.kill(2);
        TestCluster.await(
            WAIT,
            () ->
                c.events(0).contains(new ClusterEvent.MemberDown(victim))
                    && c.events(1).contains(new ClusterEvent.MemberDown(victim)),
            "down everywhere");
        nanos[r] = System.nanoTime() - t0;
        c.restart(2);
      }
    }
    Arrays.sort(nanos);
    row(
        "crash (close) to MemberDown on all",
        3,
        ms(nanos[rounds / 2]),
        "-",
        ms(nanos[rounds - 1]),
        rounds + " crashes, default timings");
  }

  private static void idleTraffic(int n) throws Exception {
    try (TestCluster c = TestCluster.start(n)) {
      TestCluster.await(WAIT, c::converged, n + " nodes up");
      Scope<String, String> s = c.node(0).scope("bench");
      for (int i = 0; i < 1000; i++) {
        s.put("k" + i, "v").join();
      }
      Thread.sleep(3_000);
      long before = 0;
      for (int i = 0; i < n; i++) {
        before += c.node(i).bytesSent();
      }
      Thread.sleep(10_000);
      long after = 0;
      for (int i = 0; i < n; i++) {
        after += c.node(i).bytesSent();
      }
      double perNodePerSecond = (after - before) / (double) n / 10.0;
      row(
          "idle traffic per node",
          n,
          String.format(Locale.ROOT, "%.0f B/s", perNodePerSecond),
          "-",
          "-",
          "heartbeats 5/s + gossip status 5/s x 3 scopes, to each of " + (n - 1) + " peers");
    }
  }

  /**
   * Starts {@code children} from one node until all run and every view counts them, in a fresh
   * cluster per round: up to 10,000 in rounds (see {@link Rounds}), then one more round (the only
   * one with more) that measures the heap and the idle CPU (its forced GCs would slow a timed
   * round).
   */
  private static void supervisorScale(int children) throws Exception {
    String timing = "";
    long median = 0;
    if (children <= 10_000) {
      int warmups = 8;
      Rounds.Summary s =
          Rounds.run(warmups, 5, (round, last) -> startBurst(children, false, new ArrayList<>()));
      median = s.median();
      timing = s.describe(ClusterBenchmark::ms, warmups);
    }
    List<String> heap = new ArrayList<>();
    long one = startBurst(children, true, heap);
    row(
        "start children from one node until all run and every view counts them",
        3,
        ms(median > 0 ? median : one),
        "-",
        "-",
        String.format(Locale.ROOT, "%,d children; ", children)
            + (median > 0 ? timing : "one round")
            + "; "
            + String.join("; ", heap));
  }

  private static long startBurst(int children, boolean measureHeap, List<String> report)
      throws Exception {
    try (TestCluster c =
        TestCluster.start(3, b -> b.wireTypes(DistributedSupervisor.wireTypes()))) {
      List<DistributedSupervisor> sups = parkingSupervisors(c);
      long heapBefore = measureHeap ? usedHeap() : 0;
      long t0 = System.nanoTime();
      List<CompletableFuture<ChildRef>> starts = new ArrayList<>(children);
      for (int i = 0; i < children; i++) {
        starts.add(sups.get(0).startChild(ChildSpec.of("child-" + i, "park")));
        if (starts.size() % 5_000 == 0) {
          // A client pacing itself: every call has a 5 s deadline, so 100,000 calls queued at
          // once on one core thread would time out before their turn.
          starts.get(starts.size() - 1).get(60, TimeUnit.SECONDS);
        }
      }
      CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0]))
          .get(120, TimeUnit.SECONDS);
      long placed = System.nanoTime() - t0;
      TestCluster.await( // looked at every 10 ms (100 with more: a look lists every child)
          Duration.ofMinutes(3),
          Duration.ofMillis(children <= 10_000 ? 10 : 100),
          () -> {
            int running = 0;
            for (DistributedSupervisor s : sups) {
              for (ChildInfo info : s.localChildren().join()) {
                if (info.state() == io.flock.supervisor.ChildState.RUNNING) {
                  running++;
                }
              }
            }
            if (running != children) {
              return false;
            }
            for (DistributedSupervisor s : sups) {
              if (s.countChildren().join().specs() != children) {
                return false;
              }
            }
            return true;
          },
          "all running and counted everywhere");
      long elapsed = System.nanoTime() - t0;
      if (measureHeap) {
        long heapPerNode = (usedHeap() - heapBefore) / 3;
        report.add(
            String.format(
                Locale.ROOT,
                "with the heap measured: all placed after %s, heap per node %.1f MB",
                ms(placed),
                heapPerNode / 1e6));
        idleCpu(children);
      }
      sups.forEach(DistributedSupervisor::close);
      return elapsed;
    }
  }

  /** A supervisor "bench" with the factory "park" (a child that waits) on every node, once up. */
  private static List<DistributedSupervisor> parkingSupervisors(TestCluster c) {
    List<DistributedSupervisor> sups = new ArrayList<>();
    for (int i = 0; i < c.size(); i++) {
      sups.add(
          DistributedSupervisor.builder("bench", c.node(i))
              // -Dflock.bench.quorum=true: the quorum strategy (its starts reserve the id first)
              .strategy(
                  Boolean.getBoolean("flock.bench.quorum")
                      ? io.flock.supervisor.DistributionStrategy.uniformQuorum()
                      : io.flock.supervisor.DistributionStrategy.uniform())
              .factory("park", spec -> ctx -> Thread.sleep(Long.MAX_VALUE))
              .start());
    }
    TestCluster.await(WAIT, c::converged, c.size() + " nodes up");
    return sups;
  }

  /** CPU the 3 idle nodes of this JVM use over 10 s, per node, in % of one core. */
  private static void idleCpu(int children) throws InterruptedException {
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    Thread.sleep(2_000); // let the last gossip settle
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Thread.sleep(10_000);
    double share = (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - t0);
    row(
        "idle CPU per node (children parked, after convergence, 10 s)",
        3,
        String.format(Locale.ROOT, "%.2f%%", share * 100 / 3),
        "-",
        "-",
        String.format(
            Locale.ROOT, "%,d children; the whole JVM (3 nodes) over 3, of one core", children));
  }

  /**
   * startChild latency with the acknowledgement rule: sequential, then 10,000 with 64 in flight, in
   * a fresh cluster per round (see {@link Rounds}); the sequential latencies and the CPU are the
   * last round's.
   */
  private static void startLatency() throws Exception {
    int warmups = 8;
    List<String> lastRound = new ArrayList<>();
    Rounds.Summary s = Rounds.run(warmups, 5, (round, last) -> startLatencyRound(last, lastRound));
    row(
        "10,000 starts, 64 in flight, until every node counts them",
        3,
        ms(s.median()),
        "-",
        "-",
        s.describe(ClusterBenchmark::ms, warmups) + "; " + String.join("; ", lastRound));
  }

  private static long startLatencyRound(boolean last, List<String> report) throws Exception {
    try (TestCluster c =
        TestCluster.start(3, b -> b.wireTypes(DistributedSupervisor.wireTypes()))) {
      List<DistributedSupervisor> sups = parkingSupervisors(c);
      int n = 2_000;
      long[] lat = new long[n];
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        sups.get(0).startChild(ChildSpec.of("seq-" + i, "park")).get(10, TimeUnit.SECONDS);
        lat[i] = System.nanoTime() - t;
      }
      java.util.Arrays.sort(lat);
      if (last) {
        row(
            "startChild, sequential (acknowledged: running on its target, held by 2)",
            3,
            ms(lat[n / 2]),
            ms(lat[n * 99 / 100]),
            ms(lat[n - 1]),
            String.format(Locale.ROOT, "%,d calls from one node (the last round)", n));
      }
      int total = 10_000;
      java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(64);
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean)
              java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      List<CompletableFuture<ChildRef>> all = new ArrayList<>(total);
      for (int i = 0; i < total; i++) {
        window.acquire();
        CompletableFuture<ChildRef> f = sups.get(0).startChild(ChildSpec.of("par-" + i, "park"));
        var unused = f.whenComplete((r, e) -> window.release());
        all.add(f);
      }
      CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
      long acked = System.nanoTime() - t0;
      TestCluster.await(
          Duration.ofMinutes(2),
          Duration.ofMillis(5),
          () -> sups.stream().allMatch(s -> s.countChildren().join().specs() == total + n),
          "every node counts them");
      long elapsed = System.nanoTime() - t0;
      if (last) {
        report.add(
            "last round: all acknowledged after "
                + ms(acked)
                + String.format(
                    Locale.ROOT,
                    ", CPU %.0f µs per start (the JVM's 3 nodes)",
                    (os.getProcessCpuTime() - cpu0) / 1e3 / total));
      }
      sups.forEach(DistributedSupervisor::close);
      return elapsed;
    }
  }

  /**
   * A node silently cut off (its packets dropped both ways, no connection closed): time until its
   * 1,000 children run again on the other two, each once. With the plain strategy the cut node
   * keeps its copies (duplicates are allowed during a split), so only the majority counts.
   */
  private static void silentCutFailover() throws Exception {
    silentCutFailover(false);
    silentCutFailover(true);
  }

  /**
   * With {@code quorum}: the uniform quorum strategy and children that stop within 1 s, so the
   * majority claims once the cut node's lease must have lapsed and 1 s more; a child seen running
   * twice anywhere (the cut node included) is counted.
   */
  private static void silentCutFailover(boolean quorum) throws Exception {
    int children = 1_000;
    try (TestCluster c =
        TestCluster.start(3, b -> b.wireTypes(DistributedSupervisor.wireTypes()))) {
      java.util.Map<String, java.util.Set<String>> running =
          new java.util.concurrent.ConcurrentHashMap<>();
      java.util.concurrent.atomic.AtomicInteger twice =
          new java.util.concurrent.atomic.AtomicInteger();
      List<DistributedSupervisor> sups = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        DistributedSupervisor.Builder b =
            DistributedSupervisor.builder("bench", c.node(i))
                .factory(
                    "track",
                    spec ->
                        ctx -> {
                          java.util.Set<String> where =
                              running.computeIfAbsent(
                                  ctx.id(),
                                  k -> java.util.concurrent.ConcurrentHashMap.newKeySet());
                          synchronized (where) {
                            where.add(ctx.node());
                            if (where.size() > 1) {
                              twice.incrementAndGet();
                            }
                          }
                          try {
                            Thread.sleep(Long.MAX_VALUE);
                          } finally {
                            synchronized (where) {
                              where.remove(ctx.node());
                            }
                          }
                        });
        if (quorum) {
          b.strategy(io.flock.supervisor.DistributionStrategy.uniformQuorum());
        }
        sups.add(b.start());
      }
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      if (quorum) {
        TestCluster.await(
            WAIT,
            () -> c.node(0).hasLease() && c.node(1).hasLease() && c.node(2).hasLease(),
            "leases held");
      }
      io.flock.supervisor.Shutdown oneSecond =
          new io.flock.supervisor.Shutdown.Timeout(Duration.ofSeconds(1));
      for (int i = 0; i < children; i++) {
        ChildSpec spec = ChildSpec.of("child-" + i, "track").withShutdown(oneSecond);
        sups.get(0).startChild(spec).join();
      }
      awaitSlowly(
          WAIT,
          () ->
              running.size() == children && running.values().stream().allMatch(w -> w.size() == 1),
          "all run");
      long t0 = System.nanoTime();
      c.partition(java.util.Set.of(2));
      awaitSlowly(
          WAIT,
          () ->
              running.values().stream()
                  .allMatch(w -> w.stream().filter(n -> !n.equals("n2")).count() == 1),
          "all run once on n0, n1");
      long took = System.nanoTime() - t0;
      row(
          "failover after a silent cut (1,000 children)",
          3,
          ms(took),
          "-",
          "-",
          quorum
              ? "uniform quorum, shutdown 1 s: lease lapse + 1 s + re-placement; "
                  + twice.get()
                  + " times a child ran twice"
              : "plain strategy; detection 1.8 s + re-placement (the cut node keeps its copies)");
      sups.forEach(DistributedSupervisor::close);
    }
  }

  /** Waits for {@code condition}, polling every 100 ms so the check costs little CPU. */
  private static void awaitSlowly(Duration timeout, BooleanSupplier condition, String what) {
    TestCluster.await(timeout, Duration.ofMillis(100), condition, what);
  }

  static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
  }

  private static void row(String what, int nodes, String p50, String p99, String max, String note) {
    System.out.printf(
        Locale.ROOT, "| %s | %d | %s | %s | %s | %s |%n", what, nodes, p50, p99, max, note);
  }
}
