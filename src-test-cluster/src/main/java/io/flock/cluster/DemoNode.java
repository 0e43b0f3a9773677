package io.flock.cluster;

import io.flock.membership.Cluster;
import io.flock.membership.Scope;
import io.flock.supervisor.ChildInfo;
import io.flock.supervisor.ChildState;
import io.flock.supervisor.DistributedSupervisor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One demo node: a cluster member running the distributed supervisor "demo" with a {@code worker}
 * factory, which publishes the children it runs into the {@code demo.running} scope (its name →
 * comma-separated ids) so observers can check that each child runs exactly once.
 *
 * <p>Usage: {@code DemoNode NAME PORT SEED_HOST:PORT...}
 */
public final class DemoNode {
  static final byte[] SECRET = "flock demo cluster secret".getBytes(StandardCharsets.UTF_8);
  static final String RUNNING = "demo.running";

  private DemoNode() {}

  /** The cluster builder every demo process uses. */
  static Cluster.Builder cluster(String name, int port, List<String> seeds) {
    return Cluster.builder("flock-demo", name)
        .secret(SECRET)
        .bind("127.0.0.1", port)
        .seeds(seeds)
        .registrar(DistributedSupervisor::registerTypes);
  }

  /** The demo supervisor over {@code cluster}. */
  static DistributedSupervisor supervisor(Cluster cluster) {
    return DistributedSupervisor.builder("demo", cluster)
        .factory(
            "worker",
            spec ->
                ctx -> {
                  while (!ctx.stopRequested()) {
                    Thread.sleep(1_000);
                  }
                })
        .start();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: DemoNode NAME PORT [SEED_HOST:PORT...]");
      System.exit(2);
    }
    String name = args[0];
    int port = Integer.parseInt(args[1]);
    List<String> seeds = List.of(args).subList(2, args.length);
    Cluster cluster = cluster(name, port, seeds).start();
    DistributedSupervisor supervisor = supervisor(cluster);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  supervisor.close();
                  cluster.close();
                }));
    Scope<String, String> running = cluster.scope(RUNNING);
    String last = "";
    while (!cluster.isClosed()) {
      List<ChildInfo> children;
      try {
        children = supervisor.localChildren().join();
      } catch (RuntimeException stopping) {
        return; // shutting down
      }
      String ids =
          children.stream()
              .filter(c -> c.state() == ChildState.RUNNING)
              .map(ChildInfo::id)
              .sorted()
              .collect(Collectors.joining(","));
      if (!ids.equals(last)) {
        running.put(name, ids).join();
        last = ids;
      }
      Thread.sleep(Duration.ofMillis(100));
    }
  }
}
