package io.flock.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Flock side by side with Apache Pekko Distributed Data, in one run on this machine: every node an
 * in-process cluster member on loopback (Flock: {@code TestCluster} with default settings; Pekko:
 * one {@code ActorSystem} per node, Artery TCP, its defaults and a tuned configuration), the same
 * keys and values. Measures, each a median over repetitions:
 *
 * <ul>
 *   <li>one write visible to a subscriber on every other node (p50, p99);
 *   <li>Pekko {@code WriteAll}: the update acknowledged by every node (its fastest path);
 *   <li>bulk convergence: {@code K} keys written on one node until every node has been told of all;
 *       with the bytes sent meanwhile, per node;
 *   <li>a new node catching up with the {@code K} keys;
 *   <li>idle traffic per node.
 * </ul>
 *
 * Bytes are TCP payload read from the kernel ({@link LoopbackBytes}) for both. Results go to {@code
 * benchmarks/results/<time>/} ({@code results.md}, {@code chart.html}).
 *
 * <p>Run: {@code ./flock bench} (the short version, a few minutes) or {@code ./flock bench compare
 * full} (3, 5, 8 nodes, more repetitions, and Flock alone at 100,000 keys).
 */
final class Compare {
  private static final Duration WAIT = Duration.ofMinutes(5);

  /** How much to run. */
  record Plan(
      List<Integer> nodes,
      int keys,
      int reps,
      int visibilityRounds,
      int slowRounds,
      int idleSeconds) {
    static Plan shortRun() {
      return new Plan(List.of(3, 5), 10_000, 3, 300, 15, 5);
    }

    static Plan fullRun() {
      return new Plan(List.of(3, 5, 8), 10_000, 3, 1_000, 40, 10);
    }
  }

  private final Plan plan;
  private final Results results;

  private Compare(Plan plan, Results results) {
    this.plan = plan;
    this.results = results;
  }

  /** Runs the comparison and writes its results; returns the folder. */
  static Path run(boolean full, Path root) throws Exception {
    Plan plan = full ? Plan.fullRun() : Plan.shortRun();
    Results results = new Results("Flock vs Apache Pekko Distributed Data");
    new Compare(plan, results).all();
    results.section(KillFailover.section(full ? 5 : 3));
    if (full) {
      results.section(flockAtScale(3, 100_000));
      results.section(CrdtReport.simulationTable(new int[] {10, 100, 1_000}));
    } else {
      results.section(CrdtReport.simulationTable(new int[] {10, 100}));
    }
    String env =
        String.format(
            Locale.ROOT,
            "%s run, %s; JDK %s, %d cores, %s; Pekko %s; all nodes in one JVM on loopback.",
            full ? "Full" : "Short",
            java.time.LocalDate.now(java.time.ZoneOffset.UTC),
            Runtime.version(),
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name"),
            org.apache.pekko.Version.current());
    System.out.println(results.markdown(env));
    Path dir = results.write(root, env);
    System.out.println("results written to " + dir.toAbsolutePath());
    return dir;
  }

  /**
   * Flock alone with {@code keys} keys: Pekko is left out here, because on this machine one bulk
   * write of 100,000 keys into its 64 buckets did not finish within 10 minutes.
   */
  private static String flockAtScale(int n, int keys) throws Exception {
    double bulk;
    Measured m = new Measured();
    try (FlockReplicas r = FlockReplicas.start(n)) {
      bulk = writeKeys(r, "scale", keys);
      catchUp(r, m);
    }
    return String.format(
        Locale.ROOT,
        """
        ## Flock at %,d keys (%d nodes; Pekko left out: one bulk write of 100,000 keys into its 64 \
        buckets did not finish within 10 minutes here)
        %,d keys written on one node until every node has all: %.0f ms; a new node caught up with \
        them in %.0f ms.
        """,
        keys,
        n,
        keys,
        bulk,
        m.catchUpMillis);
  }

  private void all() throws Exception {
    if (!LoopbackBytes.available()) {
      System.out.println("(no `ss` here: byte counts are left out)");
    }
    for (int n : plan.nodes()) {
      Map<String, Measured> byLabel = new LinkedHashMap<>();
      byLabel.put(
          Results.FLOCK,
          measure(Results.FLOCK, n, () -> FlockReplicas.start(n), plan.visibilityRounds(), false));
      byLabel.put(
          "Pekko defaults",
          measure(
              "Pekko defaults",
              n,
              () -> PekkoReplicas.start("Pekko defaults", n, PekkoReplicas.DEFAULTS),
              plan.slowRounds(),
              false));
      byLabel.put(
          "Pekko tuned",
          measure(
              "Pekko tuned",
              n,
              () -> PekkoReplicas.start("Pekko tuned", n, PekkoReplicas.TUNED),
              plan.visibilityRounds() / 3,
              true));
      report(n, byLabel);
    }
  }

  /** Starts a fresh set of replicas. */
  private interface Starter {
    Replicas start() throws Exception;
  }

  /** One system's numbers for one node count. */
  private static final class Measured {
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    int samples;
    double writeAllP50 = Double.NaN;
    double bulkMillis = Double.NaN;
    double bulkBytesPerNode = Double.NaN;
    double catchUpMillis = Double.NaN;
    double catchUpBytes = Double.NaN;
    double idleBytesPerNodePerSecond = Double.NaN;
  }

  private void report(int n, Map<String, Measured> m) {
    Map<String, Double> p50 = new LinkedHashMap<>();
    Map<String, Double> p99 = new LinkedHashMap<>();
    Map<String, Double> bulk = new LinkedHashMap<>();
    Map<String, Double> bulkBytes = new LinkedHashMap<>();
    Map<String, Double> catchUp = new LinkedHashMap<>();
    Map<String, Double> catchUpBytes = new LinkedHashMap<>();
    Map<String, Double> idle = new LinkedHashMap<>();
    StringBuilder samples = new StringBuilder();
    m.forEach(
        (label, x) -> {
          p50.put(label, x.p50);
          p99.put(label, x.p99);
          bulk.put(label, x.bulkMillis);
          bulkBytes.put(label, x.bulkBytesPerNode / 1024);
          catchUp.put(label, x.catchUpMillis);
          catchUpBytes.put(label, x.catchUpBytes / 1024);
          idle.put(label, x.idleBytesPerNodePerSecond);
          samples.append(samples.isEmpty() ? "" : ", ").append(label).append(' ').append(x.samples);
        });
    results.add(
        "one write visible on every node, p50", n, "ms", p50, "sequential writes: " + samples);
    results.add("one write visible on every node, p99", n, "ms", p99, "same samples");
    Map<String, Double> writeAll = new LinkedHashMap<>();
    m.forEach(
        (label, x) -> writeAll.put(label, label.equals(Results.FLOCK) ? x.p50 : x.writeAllP50));
    results.add(
        "one write on every node, p50: Flock visible vs Pekko WriteAll acknowledged",
        n,
        "ms",
        writeAll,
        "WriteAll, Pekko's direct path: the writer waits for every replica's ack");
    String keys = String.format(Locale.ROOT, "%,d", plan.keys());
    results.add(
        keys + " keys written on one node until every node has all",
        n,
        "ms",
        bulk,
        "median of " + plan.reps());
    results.add(
        "bytes sent per node during that bulk write", n, "KiB", bulkBytes, "TCP payload, median");
    results.add("a new node catches up with " + keys + " keys", n + 1, "ms", catchUp, "one join");
    results.add(
        "bytes sent for the catch-up", n + 1, "KiB", catchUpBytes, "TCP payload, all nodes");
    results.add(
        "idle traffic per node",
        n,
        "B/s",
        idle,
        "third window of "
            + plan.idleSeconds()
            + " s after the bulk writes ("
            + plan.reps()
            + " x "
            + keys
            + " keys)");
  }

  /**
   * Visibility, bulk writes and idle traffic on one cluster; the catch-up on a second, fresh one
   * holding exactly {@code keys} keys.
   */
  private Measured measure(String label, int n, Starter starter, int rounds, boolean writeAll) {
    Measured m = new Measured();
    try {
      try (Replicas r = starter.start()) {
        visibility(r, rounds, m);
        if (writeAll && r instanceof PekkoReplicas pekko) {
          m.writeAllP50 = writeAll(pekko, rounds);
        }
        bulk(r, m);
        idle(r, m);
      }
      try (Replicas r = starter.start()) {
        writeKeys(r, "fill", plan.keys());
        catchUp(r, m);
      }
    } catch (Exception e) {
      // One system failing (an overloaded Pekko replicator not answering, say) is a result too:
      // it is reported, and the run goes on with the others.
      Throwable root = e;
      while (root.getCause() != null && root != root.getCause()) {
        root = root.getCause();
      }
      String why = root.getClass().getSimpleName() + ": " + root.getMessage();
      System.out.println(label + " x" + n + " failed: " + why);
      results.section(
          "- " + label + " on " + n + " nodes failed, its later measures are left out: " + why);
    }
    System.out.printf(
        Locale.ROOT,
        "%s x%d: visible p50 %.2f ms p99 %.2f ms; bulk %.0f ms; catch-up %.0f ms%n",
        label,
        n,
        m.p50,
        m.p99,
        m.bulkMillis,
        m.catchUpMillis);
    return m;
  }

  private static void visibility(Replicas r, int rounds, Measured m) throws Exception {
    int n = r.nodes();
    Round current = new Round();
    AtomicInteger[] seenRound = new AtomicInteger[n];
    for (int i = 1; i < n; i++) {
      int node = i;
      seenRound[i] = new AtomicInteger(-1);
      r.onChange(
          node,
          () -> {
            int now = current.number;
            if (seenRound[node].get() != now
                && r.contains(node, current.key)
                && seenRound[node].getAndSet(now) != now) {
              current.latch.countDown();
            }
          });
    }
    int warmup = Math.max(3, rounds / 10);
    long[] nanos = new long[rounds];
    for (int i = -warmup; i < rounds; i++) {
      CountDownLatch l = new CountDownLatch(n - 1);
      String key = "visible-" + (i + warmup);
      current.latch = l;
      current.key = key;
      current.number = i + warmup; // last: a listener that sees the number sees the key and latch
      long t0 = System.nanoTime();
      r.write(0, key, "n0#000000000001").get(30, TimeUnit.SECONDS);
      if (!l.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(r.label() + ": a write was not seen everywhere");
      }
      if (i >= 0) {
        nanos[i] = System.nanoTime() - t0;
      }
    }
    Arrays.sort(nanos);
    m.p50 = nanos[rounds / 2] / 1e6;
    m.p99 = nanos[Math.min(rounds - 1, (int) Math.ceil(rounds * 0.99) - 1)] / 1e6;
    m.samples = rounds;
  }

  /** The write a visibility round waits for. */
  private static final class Round {
    volatile String key = "";
    volatile CountDownLatch latch = new CountDownLatch(0);
    volatile int number = -1;
  }

  private static double writeAll(PekkoReplicas r, int rounds) throws Exception {
    long[] nanos = new long[rounds];
    for (int i = -10; i < rounds; i++) {
      long t0 = System.nanoTime();
      r.writeAll(0, "all-" + (i + 10), "n0#000000000001").get(30, TimeUnit.SECONDS);
      if (i >= 0) {
        nanos[i] = System.nanoTime() - t0;
      }
    }
    Arrays.sort(nanos);
    return nanos[rounds / 2] / 1e6;
  }

  private void bulk(Replicas r, Measured m) throws Exception {
    int n = r.nodes();
    double[] millis = new double[plan.reps()];
    double[] bytes = new double[plan.reps()];
    for (int rep = 0; rep < plan.reps(); rep++) {
      var before = LoopbackBytes.snapshot(r.ports());
      millis[rep] = writeKeys(r, "bulk" + rep, plan.keys());
      var after = LoopbackBytes.snapshot(r.ports());
      bytes[rep] =
          before == null || after == null
              ? Double.NaN
              : LoopbackBytes.between(before, after) / (double) n;
    }
    m.bulkMillis = median(millis);
    m.bulkBytesPerNode = median(bytes);
  }

  /** Writes a client keeps in flight at most: both systems answer each write, so both are paced. */
  private static final int IN_FLIGHT = 1_000;

  /**
   * Writes {@code count} new keys on node 0 as fast as it acknowledges them (at most {@link
   * #IN_FLIGHT} unacknowledged), and waits until every node has been told of all; returns the
   * milliseconds that took.
   */
  private static double writeKeys(Replicas r, String prefix, int count) throws Exception {
    int target = r.count(0) + count;
    Semaphore window = new Semaphore(IN_FLIGHT);
    List<CompletableFuture<?>> writes = new ArrayList<>(count);
    long t0 = System.nanoTime();
    for (int i = 0; i < count; i++) {
      if (!window.tryAcquire(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(r.label() + ": no write acknowledged for 60 s");
      }
      CompletableFuture<?> write =
          r.write(0, String.format(Locale.ROOT, "%s-%06d", prefix, i), "n0#00000001");
      writes.add(write.whenComplete((ok, failed) -> window.release()));
    }
    CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0]))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    awaitCounts(r, target, "bulk write");
    return (System.nanoTime() - t0) / 1e6;
  }

  private static void catchUp(Replicas r, Measured m) throws Exception {
    int target = r.count(0);
    var before = LoopbackBytes.snapshot(r.ports());
    long t0 = System.nanoTime();
    int added = r.addNode();
    io.flock.testkit.TestCluster.await(
        WAIT, Duration.ofMillis(5), () -> r.count(added) >= target, "the new node caught up");
    m.catchUpMillis = (System.nanoTime() - t0) / 1e6;
    var after = LoopbackBytes.snapshot(r.ports());
    m.catchUpBytes =
        before == null || after == null ? Double.NaN : LoopbackBytes.between(before, after);
    awaitCounts(r, target, "every node agrees after the catch-up");
  }

  /**
   * Idle traffic: consecutive windows after the writes; the last one counts (steady state), the
   * earlier ones are printed to show whether the system was still settling.
   */
  private void idle(Replicas r, Measured m) throws Exception {
    Thread.sleep(2_000); // let acknowledgements and notifications settle
    List<String> windows = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      var before = LoopbackBytes.snapshot(r.ports());
      Thread.sleep(plan.idleSeconds() * 1_000L);
      var after = LoopbackBytes.snapshot(r.ports());
      if (before == null || after == null) {
        return;
      }
      m.idleBytesPerNodePerSecond =
          LoopbackBytes.between(before, after) / (double) r.nodes() / plan.idleSeconds();
      windows.add(String.format(Locale.ROOT, "%.0f", m.idleBytesPerNodePerSecond));
    }
    System.out.println(r.label() + " idle B/s per node, consecutive windows: " + windows);
  }

  private static void awaitCounts(Replicas r, int target, String what) {
    io.flock.testkit.TestCluster.await(
        WAIT,
        Duration.ofMillis(5),
        () -> {
          for (int i = 0; i < r.nodes(); i++) {
            if (r.count(i) < target) {
              return false;
            }
          }
          return true;
        },
        r.label() + ": " + what);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
