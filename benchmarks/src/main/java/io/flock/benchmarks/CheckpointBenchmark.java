package io.flock.benchmarks;

import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checkpoints on 3 in-JVM nodes over loopback with the quorum strategy: the latency of one child's
 * {@code save} (acknowledged by a majority) and {@code load} (a quorum read), one at a time; then
 * the saves per second of 64 children saving in a loop, each waiting for its acknowledgement.
 */
final class CheckpointBenchmark {
  private CheckpointBenchmark() {}

  private static final int SEQUENTIAL = 2_000;
  private static final int WRITERS = 64;
  private static final Duration LOOP = Duration.ofSeconds(5);
  private static final boolean DURABLE = Boolean.getBoolean("flock.bench.durable");

  static void run() throws Exception {
    System.out.println(
        "## Checkpoints on loopback (3 nodes in one JVM, quorum strategy"
            + (DURABLE ? ", durable: on disk, fsync every 100 ms)" : ")"));
    System.out.println("| measure | value | note |");
    System.out.println("|---|---|---|");
    for (int run = 0; run < 3; run++) {
      once(run);
    }
  }

  private static void once(int run) throws Exception {
    Map<String, long[]> latencies = new ConcurrentHashMap<>();
    AtomicLong saves = new AtomicLong();
    CompletableFuture<Void> go = new CompletableFuture<>();
    long[] window = new long[1];
    java.nio.file.Path disk =
        DURABLE ? java.nio.file.Files.createTempDirectory("flock-bench-checkpoints") : null;
    try (TestCluster c =
        TestCluster.start(3, disk, b -> b.wireTypes(DistributedSupervisor.wireTypes()))) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "3 nodes up");
      List<DistributedSupervisor> sups = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        DistributedSupervisor.Builder builder = DistributedSupervisor.builder("bench", c.node(i));
        if (DURABLE) {
          builder.durable();
        }
        sups.add(
            builder
                .strategy(DistributionStrategy.uniformQuorum())
                .factory(
                    "timed",
                    spec ->
                        ctx -> {
                          byte[] state = new byte[64];
                          long[] save = new long[SEQUENTIAL];
                          long[] load = new long[SEQUENTIAL / 4];
                          for (int k = 0; k < SEQUENTIAL; k++) {
                            state[0] = (byte) k;
                            long t0 = System.nanoTime();
                            var unused = ctx.save(state).join();
                            save[k] = System.nanoTime() - t0;
                          }
                          for (int k = 0; k < load.length; k++) {
                            long t0 = System.nanoTime();
                            var unused = ctx.load();
                            load[k] = System.nanoTime() - t0;
                          }
                          latencies.put("save", save);
                          latencies.put("load", load);
                          Thread.sleep(Long.MAX_VALUE);
                        })
                .factory(
                    "loop",
                    spec ->
                        ctx -> {
                          byte[] state = new byte[64];
                          go.get();
                          while (System.nanoTime() - window[0] < LOOP.toNanos()) {
                            var unused = ctx.save(state).join();
                            saves.incrementAndGet();
                          }
                          Thread.sleep(Long.MAX_VALUE);
                        })
                .start());
      }
      sups.get(0).startChild(ChildSpec.of("timed", "timed")).join();
      TestCluster.await(
          Duration.ofSeconds(60), () -> latencies.containsKey("load"), "the timed child's saves");
      for (int i = 0; i < WRITERS; i++) {
        sups.get(0).startChild(ChildSpec.of("w" + i, "loop")).join();
      }
      window[0] = System.nanoTime();
      go.complete(null);
      Thread.sleep(LOOP.toMillis() + 200);
      double perSecond = saves.get() / (LOOP.toMillis() / 1000.0);
      long[] save = java.util.Objects.requireNonNull(latencies.get("save"));
      long[] load = java.util.Objects.requireNonNull(latencies.get("load"));
      Arrays.sort(save);
      Arrays.sort(load);
      String r = "run " + (run + 1);
      System.out.printf(
          Locale.ROOT,
          "| save p50 / p99 | %.2f / %.2f ms | %s, one child, %d saves of 64 B, one at a time |%n",
          save[save.length / 2] / 1e6,
          save[save.length * 99 / 100] / 1e6,
          r,
          SEQUENTIAL);
      System.out.printf(
          Locale.ROOT,
          "| load p50 / p99 | %.2f / %.2f ms | %s, quorum read |%n",
          load[load.length / 2] / 1e6,
          load[load.length * 99 / 100] / 1e6,
          r);
      System.out.printf(
          Locale.ROOT,
          "| saves per second | %.0f (%.0f per node) | %s, %d children over 3 nodes, each waiting"
              + " for its acknowledgement |%n",
          perSecond,
          perSecond / 3,
          r,
          WRITERS);
      sups.forEach(DistributedSupervisor::close);
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }
}
