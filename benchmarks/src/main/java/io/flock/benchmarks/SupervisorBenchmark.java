package io.flock.benchmarks;

import io.flock.supervisor.ChildInfo;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.LocalSupervisor;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts and stops 100,000 trivial children on one local supervisor: starts per second, heap per
 * running child beyond the child's own objects, and stop time. Three repetitions; the median is the
 * result.
 *
 * <p>Run: {@code ./flock bench supervisor}.
 */
public final class SupervisorBenchmark {
  private SupervisorBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = 100_000;
    System.out.println("## Local supervisor, " + n + " children that block until stopped");
    System.out.println("| run | starts/s | heap per child (bytes) | stop all (ms) |");
    System.out.println("|---|---|---|---|");
    for (int run = 1; run <= 3; run++) {
      once(run, n);
    }
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  private static void once(int run, int n) throws Exception {
    CountDownLatch running = new CountDownLatch(n);
    LocalSupervisor supervisor =
        LocalSupervisor.builder("bench")
            .factory(
                "park",
                spec ->
                    ctx -> {
                      running.countDown();
                      Thread.sleep(Long.MAX_VALUE);
                    })
            .build();
    ChildSpec[] specs = new ChildSpec[n];
    for (int i = 0; i < n; i++) {
      specs[i] = ChildSpec.of("child-" + i, "park");
    }
    long before = usedHeap();
    long t0 = System.nanoTime();
    java.util.List<CompletableFuture<ChildInfo>> starts = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      starts.add(supervisor.startChild(specs[i]));
    }
    CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
    if (!running.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("children did not all run");
    }
    double startSeconds = (System.nanoTime() - t0) / 1e9;
    starts.clear();
    long after = usedHeap();
    long t1 = System.nanoTime();
    supervisor.stop().get(120, TimeUnit.SECONDS);
    double stopMillis = (System.nanoTime() - t1) / 1e6;
    System.out.printf(
        Locale.ROOT,
        "| %d | %,.0f | %,.0f | %,.0f |%n",
        run,
        n / startSeconds,
        (after - before) / (double) n,
        stopMillis);
  }
}
