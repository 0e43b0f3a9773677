package io.flock.cluster.containers;

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
 * Autoscaling churn (issue 15): every one of 5 nodes is replaced, one after another, by a node with
 * a new name (scale up, then SIGTERM the oldest), with the quorum strategy and children running.
 * Quorum holds throughout, no acknowledged child is lost, and none ever runs twice.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class AutoscaleChurnIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void replacingEveryNodeByANewNameLosesNothingAndDoublesNothing() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true)) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n1", "churn-", 100);
            List<Double> moves = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
              String fresh = "n" + (5 + i);
              String old = "n" + i;
              c.startNode(fresh);
              ContainerCluster.await(WAIT, () -> upMembers(c, fresh) == 6, fresh + " joined");
              long t0 = System.nanoTime();
              c.retire(old, WAIT);
              c.awaitRunningOnce(WAIT, ids, "all run once after " + old + " left");
              moves.add((System.nanoTime() - t0) / 1e9);
              ids.addAll(c.startChildren(fresh, "churn" + i + "-", 20));
            }
            System.out.printf(
                "[containers] autoscaling churn (quorum), 5 nodes replaced by new names: all %d"
                    + " children run once after each leave, in %s s%n",
                ids.size(), moves);
            Ledger ledger = new Ledger();
            for (String node : c.everyName()) {
              ledger.add(c.ledger(node), System.currentTimeMillis());
            }
            assertThat(ledger.overlaps()).as("copies of one child running at once").isEmpty();
            assertThat(ledger.copies().keySet()).containsAll(ids);
          });
    }
  }
}
