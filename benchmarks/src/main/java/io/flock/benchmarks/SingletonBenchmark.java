package io.flock.benchmarks;

import io.flock.membership.Cluster;
import io.flock.singleton.Leader;
import io.flock.singleton.LeaderContext;
import io.flock.singleton.ShutdownReason;
import io.flock.singleton.Singleton;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The singleton on 5 in-JVM nodes over loopback, default settings (lease 2 s, shutdown timeout 1
 * s): the time from a fault to the next {@code onLeader}, five rounds each, for a killed leader's
 * node (its process gone: connections refused), a silent loss (every link of the leader's node cut
 * both ways, nothing refused: the lease must lapse), and the gap of a graceful hand-over (the old
 * term's {@code onShutdown} returned → the next {@code onLeader}). The hand-overs start 2 s after
 * the last heal: a node back from a cut runs nothing for its rejoin grace (1 s), which a hand-over
 * to it would wait for.
 *
 * <p>Run: {@code ./flock bench singleton}.
 */
final class SingletonBenchmark {
  private SingletonBenchmark() {}

  private static final int ROUNDS = 5;
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** A term as it ran: node, begin and end (nanoTime; end 0 while it runs). */
  private static final class Term {
    final String node;
    final long begin = System.nanoTime();
    volatile long end;

    Term(String node) {
      this.node = node;
    }
  }

  private static final AtomicReference<Term> current = new AtomicReference<>();

  private static Leader leader() {
    return new Leader() {
      private Term mine = new Term("?");

      @Override
      public void onLeader(LeaderContext ctx) {
        mine = new Term(ctx.node());
        current.set(mine);
      }

      @Override
      public void onShutdown(LeaderContext ctx, ShutdownReason reason) {
        mine.end = System.nanoTime();
      }
    };
  }

  static void run() throws Exception {
    System.out.println("## Singleton on loopback (5 nodes in one JVM, default settings)");
    System.out.println("| fault | rounds | next onLeader after (ms): p50 | max | goal | each |");
    System.out.println("|---|---|---|---|---|---|");
    try (TestCluster c =
        TestCluster.start(
            5,
            b -> b.wireTypes(DistributedSupervisor.wireTypes()).wireTypes(Singleton.wireTypes()))) {
      TestCluster.await(WAIT, c::converged, "5 nodes up");
      List<Singleton> singletons = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        singletons.add(boot(c.node(i)));
      }
      List<Long> killed = new ArrayList<>();
      List<Long> silent = new ArrayList<>();
      List<Long> graceful = new ArrayList<>();
      for (int r = 0; r < ROUNDS; r++) {
        Term old = awaitTerm(null);
        int i = slot(old);
        long t0 = System.nanoTime();
        c.kill(i);
        killed.add(millis(awaitTerm(old).begin - t0));
        singletons.set(i, boot(c.restart(i)));
        TestCluster.await(WAIT, c::converged, "n" + i + " back");
      }
      for (int r = 0; r < ROUNDS; r++) {
        Term old = awaitTerm(null);
        int i = slot(old);
        long t0 = System.nanoTime();
        c.partition(Set.of(i));
        silent.add(millis(awaitTerm(old).begin - t0));
        c.heal();
        TestCluster.await(WAIT, c::converged, "healed");
      }
      Thread.sleep(2_000); // a node back from the cut runs nothing for its rejoin grace (1 s)
      for (int r = 0; r < ROUNDS; r++) {
        Term old = awaitTerm(null);
        int i = slot(old);
        singletons.get(i).stop(Duration.ofSeconds(10)).join();
        Term next = awaitTerm(old);
        graceful.add(millis(next.begin - old.end));
        singletons.set(i, boot(c.node(i)));
      }
      row("kill (process gone)", killed, "300 ms");
      row("silent loss (links cut)", silent, "3 s");
      row("graceful hand-over gap", graceful, "100 ms");
      singletons.forEach(Singleton::close);
    }
  }

  private static Singleton boot(Cluster node) {
    return Singleton.builder("bench", node).leader(SingletonBenchmark::leader).start();
  }

  private static int slot(Term t) {
    return Integer.parseInt(t.node.substring(1));
  }

  /** Waits for a running term other than {@code old}. */
  private static Term awaitTerm(@Nullable Term old) {
    TestCluster.await(
        WAIT,
        () -> {
          Term t = current.get();
          return t != null && t != old && t.end == 0;
        },
        "a new term");
    return java.util.Objects.requireNonNull(current.get());
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  private static void row(String fault, List<Long> ms, String goal) {
    List<Long> sorted = new ArrayList<>(ms);
    sorted.sort(null);
    System.out.printf(
        Locale.ROOT,
        "| %s | %d | %d | %d | %s | %s |%n",
        fault,
        sorted.size(),
        sorted.get(sorted.size() / 2),
        sorted.get(sorted.size() - 1),
        goal,
        ms);
  }
}
