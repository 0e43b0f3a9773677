package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.upMembers;
import static org.assertj.core.api.Assertions.assertThat;

import io.flock.cluster.Ledger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The singleton (issue 19) in five node JVMs, through every fault its issue names, one after the
 * other on one cluster: {@code kill -9} of the leader's node, a 2 | 3 partition with the leader in
 * the minority, a 10 s {@code docker pause} of the leader's node, two nodes leaving at once (the
 * leader's among them), and a rolling restart of all five. The checker is the ledger the leaders
 * write ({@code start}/{@code effect}/{@code stop} of {@code singleton-boss}, with node and
 * generation): no two terms overlap (the frozen term of the pause aside: it cannot end while
 * frozen, so for it the check is that it made no effect after its successor began), no effect is
 * made by a term after a newer term began, and the rolling restart moves the singleton only when
 * its own node restarts, once (it goes to the most recently started node, which may be one the
 * earlier steps restarted, so it can move again when that one's turn comes).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SingletonIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String ID = "singleton-boss";

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  /** A node that says it leads, with its generation. */
  record Leading(String node, long generation) {}

  /** The one node that says it leads (of {@code nodes}), if exactly one does. */
  static Optional<Leading> leading(ContainerCluster c, List<String> nodes) {
    List<Leading> out = new ArrayList<>();
    for (String n : nodes) {
      try {
        String[] f = c.get(n, "/singleton").trim().split(" ", -1);
        if (f.length == 5 && f[4].equals("LEADING")) {
          out.add(new Leading(n, Long.parseLong(f[2])));
        }
      } catch (Exception notNow) {
        // a node that does not answer leads nothing we can see
      }
    }
    return out.size() == 1 ? Optional.of(out.get(0)) : Optional.empty();
  }

  private static Leading awaitLeader(ContainerCluster c, List<String> nodes, long above) {
    ContainerCluster.await(
        WAIT,
        () -> leading(c, nodes).filter(l -> l.generation() > above).isPresent(),
        "one leader among " + nodes + " above generation " + above);
    return leading(c, nodes).orElseThrow();
  }

  private static List<String> without(List<String> all, String... gone) {
    List<String> out = new ArrayList<>(all);
    out.removeAll(List.of(gone));
    return out;
  }

  private static void awaitAllUp(ContainerCluster c, List<String> all) {
    ContainerCluster.await(
        WAIT, () -> all.stream().allMatch(n -> upMembers(c, n) == all.size()), "all up");
  }

  @Test
  void noTwoTermsOverlapUnderKillPartitionPauseLeavesAndARollingRestart() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true, Map.of("FLOCK_SINGLETON", "true"))) {
      c.run(
          () -> {
            List<String> all = c.names();
            awaitAllUp(c, all);
            List<String> report = new ArrayList<>();

            // 1. kill -9 of the leader's node.
            Leading first = awaitLeader(c, all, 0);
            long killedAt = System.currentTimeMillis();
            long t0 = System.nanoTime();
            c.kill(first.node());
            Leading afterKill = awaitLeader(c, without(all, first.node()), first.generation());
            report.add(String.format("kill -9: new leader after %.2f s", secondsSince(t0)));
            c.startAgain(first.node(), WAIT);
            awaitAllUp(c, all);

            // 2. a 2 | 3 partition, the leader in the minority.
            String buddy = without(all, afterKill.node()).get(0);
            t0 = System.nanoTime();
            c.disconnect(afterKill.node());
            c.disconnect(buddy);
            Leading afterSplit =
                awaitLeader(c, without(all, afterKill.node(), buddy), afterKill.generation());
            report.add(String.format("2 | 3 partition: new leader after %.2f s", secondsSince(t0)));
            c.connect(afterKill.node());
            c.connect(buddy);
            awaitAllUp(c, all);
            Thread.sleep(3000);
            assertThat(leading(c, all)).as("sticky after the heal").contains(afterSplit);

            // 3. a 10 s docker pause of the leader's node.
            t0 = System.nanoTime();
            c.pause(afterSplit.node());
            Leading afterPause =
                awaitLeader(c, without(all, afterSplit.node()), afterSplit.generation());
            report.add(String.format("10 s pause: new leader after %.2f s", secondsSince(t0)));
            Thread.sleep(Math.max(0, 10_000 - (System.nanoTime() - t0) / 1_000_000));
            c.unpause(afterSplit.node());
            awaitAllUp(c, all);
            Thread.sleep(2000);
            assertThat(leading(c, all)).as("one leader after the pause").contains(afterPause);

            // 4. two nodes leaving at once, the leader's among them (SIGTERM; they start again).
            String second = without(all, afterPause.node()).get(0);
            CompletableFuture<Long> a =
                CompletableFuture.supplyAsync(() -> c.restart(afterPause.node(), WAIT));
            CompletableFuture<Long> b =
                CompletableFuture.supplyAsync(() -> c.restart(second, WAIT));
            CompletableFuture.allOf(a, b).join();
            awaitAllUp(c, all);
            Leading afterLeaves = awaitLeader(c, all, afterPause.generation());
            report.add("two leaving at once: now on " + afterLeaves.node());

            // 5. a rolling restart of all five.
            List<String> moves = new ArrayList<>();
            for (String n : all) {
              Leading before = awaitLeader(c, all, 0);
              c.restart(n, WAIT);
              awaitAllUp(c, all);
              Leading after = awaitLeader(c, all, 0);
              // Each restart moves it at most once (one hand-over), and only its own node's.
              if (!after.equals(before)) {
                assertThat(after.generation())
                    .as("one hand-over")
                    .isEqualTo(before.generation() + 1);
                moves.add(n + ": " + before + " -> " + after);
                assertThat(before.node()).as("moved on another node's restart").isEqualTo(n);
              }
            }
            report.add("rolling restart moves: " + moves);

            Ledger ledger = new Ledger();
            for (String n : all) {
              List<Long> deaths = n.equals(first.node()) ? List.of(killedAt) : List.of();
              ledger.add(c.get(n, "/ledger"), deaths, System.currentTimeMillis());
            }
            report.forEach(r -> System.out.println("[containers] singleton " + r));
            List<Ledger.Copy> terms = ledger.copies().getOrDefault(ID, List.of());
            System.out.println("[containers] singleton terms: " + terms);
            List<Ledger.Copy> inOrder = new ArrayList<>(terms);
            inOrder.sort((x, y) -> Long.compare(x.from(), y.from()));
            List<Long> gaps = new ArrayList<>();
            for (int i = 1; i < inOrder.size(); i++) {
              gaps.add(inOrder.get(i).from() - inOrder.get(i - 1).to());
            }
            long killTakeover =
                inOrder.stream()
                    .filter(t -> t.from() > killedAt)
                    .findFirst()
                    .map(t -> t.from() - killedAt)
                    .orElse(-1L);
            System.out.println(
                "[containers] singleton from the ledger: kill -9 to the next term "
                    + killTakeover
                    + " ms; gaps between terms (ms, in order; negative: the frozen term) "
                    + gaps);
            String frozen = afterSplit.node() + "#" + afterSplit.generation();
            List<String> overlaps =
                ledger.overlaps().stream()
                    .filter(o -> !o.contains(frozenCopy(afterSplit)))
                    .toList();
            assertThat(overlaps)
                .as("terms that overlapped (the frozen %s aside)", frozen)
                .isEmpty();
            assertThat(ledger.effectCount()).isPositive();
            assertThat(ledger.staleEffects()).as("effects after a newer term began").isEmpty();
            assertThat(terms.size()).as("terms: " + terms).isGreaterThanOrEqualTo(5);
          });
    }
  }

  /** How {@link Ledger#overlaps} prints the frozen term's copy. */
  private static String frozenCopy(Leading l) {
    return "node=" + l.node() + ", generation=" + l.generation() + ",";
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
