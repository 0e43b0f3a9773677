package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.runningOn;
import static io.flock.cluster.containers.SigkillIT.runningOnce;
import static org.assertj.core.api.Assertions.assertThat;

import io.flock.cluster.Ledger;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 4: {@code docker pause} one node for 10 s (quorum strategy). What it ran is taken over
 * while it is frozen; when it wakes it stops its stale copies; the generation tells stale from
 * current: every copy that overlapped a newer one has a lower generation.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PauseIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void aFrozenNodesWorkIsTakenOverAndItsStaleCopiesStopWhenItWakes() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true)) {
      c.run(
          () -> {
            // Each child makes an external effect every 50 ms, guarded by ensureCurrent().
            Set<String> ids = c.startChildren("n1", "z-", 100, "&effectEvery=50");
            List<String> all = c.names();
            Set<String> frozen = runningOn(c, "n5").keySet();
            assertThat(frozen).isNotEmpty();

            c.pause("n5");
            long t0 = System.nanoTime();
            List<String> others = List.of("n1", "n2", "n3", "n4");
            ContainerCluster.await(WAIT, () -> runningOnce(c, others, ids), "taken over");
            double takeover = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(Math.max(0, 10_000 - (System.nanoTime() - t0) / 1_000_000));
            c.unpause("n5");
            long t1 = System.nanoTime();
            ContainerCluster.await(
                WAIT,
                () ->
                    runningOnce(c, all, ids)
                        && runningOn(c, "n5").keySet().stream().noneMatch(frozen::contains),
                "n5 stopped its stale copies; one copy each");
            System.out.printf(
                "[containers] pause n5 10 s (quorum): its %d children taken over after %.2f s;"
                    + " stale copies stopped %.2f s after it woke%n",
                frozen.size(), takeover, (System.nanoTime() - t1) / 1e9);

            Ledger ledger = new Ledger();
            for (String node : all) {
              ledger.add(c.get(node, "/ledger"), System.currentTimeMillis());
            }
            assertThat(ledger.effectCount()).isPositive();
            assertThat(ledger.staleEffects())
                .as("effects made by a copy after a newer copy had started")
                .isEmpty();
            for (String id : frozen) {
              List<Ledger.Copy> copies = ledger.copies().getOrDefault(id, List.of());
              assertThat(copies).as(id).hasSizeGreaterThanOrEqualTo(2);
              Ledger.Copy stale =
                  copies.stream().filter(x -> x.node().equals("n5")).findFirst().orElseThrow();
              Ledger.Copy current =
                  copies.stream().filter(x -> !x.node().equals("n5")).findFirst().orElseThrow();
              assertThat(current.generation())
                  .as("fencing token of %s", id)
                  .isGreaterThan(stale.generation());
            }
          });
    }
  }
}
