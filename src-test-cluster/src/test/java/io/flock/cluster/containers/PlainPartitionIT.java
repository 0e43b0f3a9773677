package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.runningOnce;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 3: the same 2|3 partition with the plain uniform strategy: both sides may run a child
 * during the split (allowed), and within a bounded time after the heal exactly one copy remains.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PlainPartitionIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void afterTheHealExactlyOneCopyRemains() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, false)) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n3", "p-", 100);
            List<String> all = c.names();
            c.disconnect("n1");
            c.disconnect("n2");
            ContainerCluster.await(
                WAIT,
                () -> runningOnce(c, List.of("n3", "n4", "n5"), ids),
                "the majority runs every child during the split");
            long t0 = System.nanoTime();
            c.connect("n1");
            c.connect("n2");
            ContainerCluster.await(WAIT, () -> runningOnce(c, all, ids), "one copy each");
            System.out.printf(
                "[containers] partition 2|3 (plain): exactly one copy of each child %.2f s after"
                    + " the heal%n",
                (System.nanoTime() - t0) / 1e9);
          });
    }
  }
}
