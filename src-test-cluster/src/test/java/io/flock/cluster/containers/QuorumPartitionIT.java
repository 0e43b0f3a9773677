package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.runningOn;
import static io.flock.cluster.containers.SigkillIT.runningOnce;
import static io.flock.cluster.containers.SigkillIT.upMembers;
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
 * Scenario 2: a 2|3 partition (the two disconnected from the cluster network) with the quorum
 * strategy: the minority stops its children before the majority restarts them, so no child ever
 * runs on both sides (from the ledgers); after the heal exactly one copy of each remains.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class QuorumPartitionIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void minorityFencesBeforeTheMajorityTakesOverAndHealingLeavesOneCopy() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true)) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n3", "q-", 100);
            List<String> all = c.names();
            assertThat(runningOn(c, "n1").size() + runningOn(c, "n2").size()).isPositive();

            long t0 = System.nanoTime();
            c.disconnect("n1");
            c.disconnect("n2");
            ContainerCluster.await(
                WAIT,
                () -> runningOn(c, "n1").isEmpty() && runningOn(c, "n2").isEmpty(),
                "the minority stopped its children");
            double fenced = (System.nanoTime() - t0) / 1e9;
            List<String> majority = List.of("n3", "n4", "n5");
            ContainerCluster.await(
                WAIT, () -> runningOnce(c, majority, ids), "the majority runs all");
            double takeover = (System.nanoTime() - t0) / 1e9;

            long t1 = System.nanoTime();
            c.connect("n1");
            c.connect("n2");
            ContainerCluster.await(
                WAIT, () -> upMembers(c, "n1") == 5 && upMembers(c, "n4") == 5, "views re-merge");
            ContainerCluster.await(
                WAIT, () -> runningOnce(c, all, ids), "one copy each after heal");
            double healed = (System.nanoTime() - t1) / 1e9;
            System.out.printf(
                "[containers] partition 2|3 (quorum): minority fenced after %.2f s, majority ran all"
                    + " after %.2f s; after the heal one copy each within %.2f s%n",
                fenced, takeover, healed);

            Ledger ledger = new Ledger();
            for (String node : all) {
              ledger.add(c.get(node, "/ledger"), System.currentTimeMillis());
            }
            assertThat(ledger.overlaps()).as("a child never ran on both sides").isEmpty();
          });
    }
  }
}
