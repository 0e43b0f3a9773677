package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.runningOn;
import static io.flock.cluster.containers.SigkillIT.upMembers;
import static org.assertj.core.api.Assertions.assertThat;

import io.flock.cluster.Ledger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, finding 9: a quick restart under the same name stranded children for good with the
 * quorum strategy. Three rounds: SIGKILL n5 and start it again at once under its name; after each
 * round every child runs exactly once, and the ledgers never show two copies at once.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SameNameRestartIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void aSameNameRestartLoopNeverStrandsNorDoublesAChild() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true)) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n1", "loop-", 100);
            List<Long> deaths = new ArrayList<>();
            List<Double> recoveries = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
              ContainerCluster.await(WAIT, () -> !runningOn(c, "n5").isEmpty(), "n5 runs some");
              long t0 = System.nanoTime();
              deaths.add(System.currentTimeMillis());
              c.kill("n5");
              c.startAgain("n5", WAIT);
              ContainerCluster.await(
                  WAIT, () -> upMembers(c, "n1") == 5, "n5 back, round " + round);
              c.awaitRunningOnce(WAIT, ids, "all run once, round " + round);
              recoveries.add((System.nanoTime() - t0) / 1e9);
              // New children land on the new incarnation too, so the next round has some to lose.
              ids.addAll(c.startChildren("n1", "loop" + round + "-", 30));
            }
            System.out.printf(
                "[containers] same-name restart loop (quorum): all %d children run once again"
                    + " after %s s%n",
                ids.size(), recoveries);
            Ledger ledger = new Ledger();
            for (String node : c.names()) {
              ledger.add(
                  c.ledger(node),
                  node.equals("n5") ? deaths : List.of(),
                  System.currentTimeMillis());
            }
            assertThat(ledger.overlaps()).as("copies of one child running at once").isEmpty();
          });
    }
  }
}
