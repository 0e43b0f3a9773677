package io.flock.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Failover after {@code kill -9} across separate JVMs: runs the demo ({@code io.flock.cluster.Demo}
 * in {@code src-test-cluster/target/flock-test-cluster.jar}: 3 node JVMs, 1,000 children, one node
 * killed with SIGKILL) several times and reads its timings, so the process boundary is real and the
 * demo and the benchmark measure the same thing.
 *
 * <p>Run: {@code ./flock bench cluster kill}.
 */
final class KillFailover {
  private static final Pattern TIMES =
      Pattern.compile(
          "declared down after ([0-9.]+) s, its children re-placed after ([0-9.]+) s; all [0-9,]+"
              + " running again on the survivors after ([0-9.]+) s");

  private KillFailover() {}

  /** The demo's three times (down, re-placed, running again), in seconds, per run. */
  static List<double[]> run(int runs) throws IOException, InterruptedException {
    Path jar = Path.of("src-test-cluster/target/flock-test-cluster.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(
          jar + " is missing: build it (./flock bench builds it; or ./flock demo)");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      Process p =
          new ProcessBuilder(java, "-cp", jar.toString(), "io.flock.cluster.Demo")
              .redirectErrorStream(true)
              .start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("the demo failed:\n" + text);
      }
      Matcher m = TIMES.matcher(text);
      if (!m.find()) {
        throw new IllegalStateException("no timings in the demo's output:\n" + text);
      }
      double[] times = {
        Double.parseDouble(m.group(1)),
        Double.parseDouble(m.group(2)),
        Double.parseDouble(m.group(3))
      };
      System.out.printf(
          Locale.ROOT,
          "kill -9 run %d: down %.2f s, re-placed %.2f s, all running again %.2f s%n",
          i + 1,
          times[0],
          times[1],
          times[2]);
      out.add(times);
    }
    return out;
  }

  /** A Markdown section with the median of {@code runs} demo runs. */
  static String section(int runs) throws IOException, InterruptedException {
    List<double[]> all = run(runs);
    double[] median = new double[3];
    for (int k = 0; k < 3; k++) {
      double[] column = new double[all.size()];
      for (int i = 0; i < all.size(); i++) {
        column[i] = all.get(i)[k];
      }
      median[k] = Compare.median(column);
    }
    return String.format(
        Locale.ROOT,
        """
        ## Flock failover after kill -9 (separate JVMs, `./flock demo`)
        3 node JVMs, 1,000 children, n3 killed with SIGKILL; median of %d runs: declared down \
        after %.2f s, its children re-placed after %.2f s, all 1,000 running again on the \
        survivors, each once, after %.2f s.
        """,
        runs,
        median[0],
        median[1],
        median[2]);
  }
}
