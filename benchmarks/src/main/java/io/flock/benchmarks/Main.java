package io.flock.benchmarks;

import java.nio.file.Path;
import java.util.Arrays;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Entry point of {@code flock-benchmarks.jar}.
 *
 * <ul>
 *   <li>no arguments: the short side-by-side run with Apache Pekko (a few minutes), written to
 *       {@code benchmarks/results/<time>/} ({@code results.md}, {@code chart.html});
 *   <li>{@code compare full}: the full side-by-side run (3, 5, 8 nodes, more repetitions, Flock
 *       alone at 100,000 keys);
 *   <li>{@code all}: the CRDT report, transport, supervisor, then the JMH benchmarks with short
 *       iterations;
 *   <li>{@code report}: only the report (sizes, heap, simulated convergence);
 *   <li>{@code transport}: only the transport round trip and throughput;
 *   <li>{@code lease}: the lease against the failure detector after a silent cut;
 *   <li>{@code registry}: names visible on every node, lookup cost, heap per name;
 *   <li>{@code groups}: process groups: 100,000 memberships visible, join latency, read cost;
 *   <li>{@code checkpoints}: save and load latency, saves per second (quorum strategy; {@code
 *       -Dflock.bench.durable=true}: with a durable supervisor on disk);
 *   <li>{@code storage [restart]}: the durable log against H2's MVStore per fsync policy; with
 *       {@code restart}, a whole-cluster restart of 100,000 durable children;
 *   <li>{@code singleton}: takeover after a kill and a silent loss, the graceful hand-over gap;
 *   <li>{@code messaging}: ask round trip and tell throughput to children on another node;
 *   <li>{@code supervisor}: only the local supervisor's start/stop rate and heap per child;
 *   <li>{@code cluster}: write visibility, crash detection, idle traffic, children at scale;
 *   <li>{@code jmh ARGS}: JMH itself, with its usual arguments.
 * </ul>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Path results = Path.of(System.getProperty("flock.results", "benchmarks/results"));
    if (args.length == 0 || args[0].equals("compare")) {
      Compare.run(args.length > 1 && args[1].equals("full"), results);
      // Pekko and Netty leave non-daemon threads behind on some paths: the run is over.
      System.exit(0);
    }
    if (args.length > 0 && args[0].equals("jmh")) {
      org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("cluster")) {
      ClusterBenchmark.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("lease")) {
      LeaseBenchmark.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("messaging")) {
      MessagingBenchmark.main(new String[0]);
      return;
    }
    if (args.length > 0 && args[0].equals("registry")) {
      RegistryBenchmark.run();
      return;
    }
    if (args.length > 0 && args[0].equals("singleton")) {
      SingletonBenchmark.run();
      return;
    }
    if (args.length > 0 && args[0].equals("checkpoints")) {
      CheckpointBenchmark.run();
      return;
    }
    if (args.length > 0 && args[0].equals("storage")) {
      StorageBenchmark.run(args.length > 1 && args[1].equals("restart"));
      return;
    }
    if (args.length > 0 && args[0].equals("groups")) {
      GroupsBenchmark.run();
      return;
    }
    if (args.length > 0 && args[0].equals("supervisor")) {
      SupervisorBenchmark.main(new String[0]);
      return;
    }
    if (args.length > 0 && args[0].equals("transport")) {
      io.flock.membership.internal.transport.TransportBenchmark.main(new String[0]);
      return;
    }
    CrdtReport.main(new String[0]);
    if (args.length > 0 && args[0].equals("report")) {
      return;
    }
    io.flock.membership.internal.transport.TransportBenchmark.main(new String[0]);
    SupervisorBenchmark.main(new String[0]);
    Options options =
        new OptionsBuilder()
            .include(MapBenchmark.class.getSimpleName())
            .include(FullJoinBenchmark.class.getSimpleName())
            .include(io.flock.membership.internal.transport.CodecBenchmark.class.getSimpleName())
            .include(ReplicatorBenchmark.class.getSimpleName())
            .warmupIterations(1)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(3)
            .measurementTime(TimeValue.seconds(1))
            .forks(1)
            .build();
    new Runner(options).run();
  }
}
