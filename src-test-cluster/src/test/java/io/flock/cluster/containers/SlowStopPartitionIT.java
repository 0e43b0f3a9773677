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
 * Issue 15, finding 1: children that take 3 s to stop (they ignore their interrupt that long) ran
 * twice after a partition, because the majority claimed them 1 s after the minority fenced. A 2|3
 * partition with the quorum strategy: the majority claims only once each child's shutdown timeout
 * has passed after the minority's lease lapsed, so no copy overlaps another in the ledgers.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SlowStopPartitionIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void childrenSlowToStopNeverRunOnBothSidesOfAPartition() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true)) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n3", "slow-", 60, "&stopMillis=3000");
            List<String> all = c.names();
            assertThat(runningOn(c, "n1").size() + runningOn(c, "n2").size()).isPositive();
            long t0 = System.nanoTime();
            c.disconnect("n1");
            c.disconnect("n2");
            List<String> majority = List.of("n3", "n4", "n5");
            ContainerCluster.await(
                WAIT, () -> runningOnce(c, majority, ids), "the majority runs all");
            double takeover = (System.nanoTime() - t0) / 1e9;
            c.connect("n1");
            c.connect("n2");
            ContainerCluster.await(
                WAIT, () -> upMembers(c, "n1") == 5 && upMembers(c, "n4") == 5, "views re-merge");
            ContainerCluster.await(WAIT, () -> runningOnce(c, all, ids), "one copy each");
            System.out.printf(
                "[containers] partition 2|3 (quorum), children taking 3 s to stop: the majority"
                    + " ran all after %.2f s%n",
                takeover);
            Ledger ledger = new Ledger();
            for (String node : all) {
              ledger.add(c.ledger(node), System.currentTimeMillis());
            }
            assertThat(ledger.overlaps()).as("a slow stopper never ran twice").isEmpty();
          });
    }
  }
}
