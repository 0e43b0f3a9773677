package io.flock.benchmarks;

import io.flock.membership.WireTypes;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.Envelope;
import io.flock.supervisor.Messenger;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Child messaging on loopback, two nodes in one JVM (they share the cores): {@code ask} round trip
 * from one node to a child on the other, and {@code tell} throughput to 64 children there.
 *
 * <p>Run: {@code ./flock bench messaging}.
 */
public final class MessagingBenchmark {
  private MessagingBenchmark() {}

  /** A request: the child answers with the same number. */
  public record Ping(int n) {}

  static final WireTypes TYPES = WireTypes.builder("bench-messaging").add(1200, Ping.class).build();

  public static void main(String[] args) throws Exception {
    LongAdder told = new LongAdder();
    try (TestCluster c =
        TestCluster.start(
            2, b -> b.wireTypes(DistributedSupervisor.wireTypes()).wireTypes(TYPES))) {
      TestCluster.await(Duration.ofSeconds(30), c::converged, "2 nodes up");
      List<DistributedSupervisor> sups = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        sups.add(
            DistributedSupervisor.builder("bench", c.node(i))
                .mailboxCapacity(100_000)
                .factory(
                    "echo",
                    spec ->
                        ctx -> {
                          while (!ctx.stopRequested()) {
                            Envelope e = ctx.receive(Duration.ofMillis(100));
                            if (e == null) {
                              continue;
                            }
                            Object message = e.message(); // read: a tell is decoded here
                            if (e.expectsReply()) {
                              e.reply(message);
                            } else if (message instanceof Ping) {
                              told.increment();
                            }
                          }
                        })
                .start());
      }
      // Children on node 1, messages from node 0.
      List<String> ids = new ArrayList<>();
      for (int i = 0; ids.size() < 64; i++) {
        ChildRef ref = sups.get(0).startChild(ChildSpec.of("echo-" + i, "echo")).join();
        if (ref.node().name().equals("n1")) {
          ids.add(ref.id());
        } else {
          sups.get(0).terminateChild(ref.id()).join();
        }
      }
      Messenger m = sups.get(0).messenger();
      System.out.println("## Child messaging on loopback (2 nodes in one JVM)");
      System.out.println("| measure | p50 | p99 | note |");
      System.out.println("|---|---|---|---|");
      int rounds = 20_000;
      long[] nanos = new long[rounds];
      for (int i = -2_000; i < rounds; i++) {
        long t0 = System.nanoTime();
        m.ask(ids.get(0), new Ping(i), Ping.class, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        if (i >= 0) {
          nanos[i] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(nanos);
      System.out.printf(
          Locale.ROOT,
          "| ask round trip, sequential, to a child on the other node | %.0f µs | %.0f µs | %,d asks |%n",
          nanos[rounds / 2] / 1e3,
          nanos[rounds * 99 / 100] / 1e3,
          rounds);
      int total = 1_000_000;
      Semaphore window = new Semaphore(20_000);
      long t0 = System.nanoTime();
      for (int i = 0; i < total; i++) {
        window.acquire();
        CompletableFuture<Void> f = m.tell(ids.get(i & 63), new Ping(i));
        var unused = f.whenComplete((v, e) -> window.release());
      }
      window.acquire(20_000);
      long acked = System.nanoTime() - t0;
      while (told.sum() < total && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60)) {
        Thread.sleep(1);
      }
      long all = System.nanoTime() - t0;
      System.out.printf(
          Locale.ROOT,
          "| tell throughput, 64 children on the other node, 20,000 in flight | %,.0f msg/s | - | %,d tells; acknowledged in %.2f s, received in %.2f s |%n",
          total / (all / 1e9),
          total,
          acked / 1e9,
          all / 1e9);
      sups.forEach(DistributedSupervisor::close);
    }
  }
}
