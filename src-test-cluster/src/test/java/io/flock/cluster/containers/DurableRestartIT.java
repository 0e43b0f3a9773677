package io.flock.cluster.containers;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.cluster.Ledger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 20: a whole cluster of five nodes with a durable supervisor (quorum strategy) is killed
 * ({@code kill -9}, every node, during a stream of checkpoint saves); three of them start again.
 * Every child runs again, once, and resumes from at least the last position any copy of it was told
 * was saved. The checker is the children's own ledgers (what they were acknowledged, where they
 * resumed), read from the files of the two nodes that never come back.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class DurableRestartIT {
  private static final Duration WAIT = Duration.ofMinutes(2);
  private static final int CHILDREN = 40;

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void everyChildComesBackFromItsLastAcknowledgedCheckpointAfterTheWholeClusterWasKilled()
      throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true, Map.of("FLOCK_STORAGE", "/data"))) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n1", "d-", CHILDREN, "&saveEvery=50");
            Thread.sleep(3_000); // a stream of saves, every child every 50 ms
            List<String> all = List.of("n1", "n2", "n3", "n4", "n5");
            // A power cut: every node cut off the cluster network first (silently, so none sees
            // another die and takes its children in the moment between two kills), then killed.
            for (String n : all) {
              c.disconnect(n);
            }
            Map<String, Long> killedAt = new HashMap<>();
            for (String n : all) {
              c.kill(n);
              killedAt.put(n, System.currentTimeMillis()); // at or after the process died
            }
            long restartedAt = System.currentTimeMillis();
            c.forget("n4");
            c.forget("n5");
            long t0 = System.nanoTime();
            for (String n : List.of("n1", "n2", "n3")) {
              c.connect(n);
              c.startAgain(n, WAIT);
            }
            c.awaitRunningOnce(WAIT, ids, CHILDREN + " children run once on the 3 restarted nodes");
            ContainerCluster.await(
                WAIT,
                () -> {
                  Set<String> resumed = new java.util.HashSet<>();
                  for (String n : c.names()) {
                    String text;
                    try {
                      text = c.get(n, "/ledger");
                    } catch (Exception notNow) {
                      return false;
                    }
                    for (String line : text.lines().toList()) {
                      String[] f = line.split(" ", -1);
                      if (f.length == 6
                          && f[1].equals("resume")
                          && Long.parseLong(f[0]) > restartedAt) {
                        resumed.add(f[2]);
                      }
                    }
                  }
                  return resumed.containsAll(ids);
                },
                "every child resumed from its checkpoint");
            double back = (System.nanoTime() - t0) / 1e9;

            Map<String, Long> savedBefore = new HashMap<>();
            Map<String, Long> resumedAfter = new HashMap<>();
            Ledger ledger = new Ledger();
            long now = System.currentTimeMillis();
            for (String n : all) {
              String text = c.ledger(n);
              ledger.add(text, List.of(killedAt.getOrDefault(n, now)), now);
              for (String line : text.lines().toList()) {
                String[] f = line.split(" ", -1);
                if (f.length != 6) {
                  continue;
                }
                long at = Long.parseLong(f[0]);
                long position = Long.parseLong(f[5]);
                if (f[1].equals("saved") && at < restartedAt) {
                  savedBefore.merge(f[2], position, Math::max);
                } else if (f[1].equals("resume") && at > restartedAt) {
                  resumedAfter.merge(f[2], position, Math::min);
                }
              }
            }
            for (String id : ids) {
              assertThat(savedBefore).as(id + " saved before the kill").containsKey(id);
              assertThat(resumedAfter.get(id))
                  .as(id + " resumed from at least its last acknowledged position")
                  .isNotNull()
                  .isGreaterThanOrEqualTo(savedBefore.getOrDefault(id, Long.MAX_VALUE));
            }
            assertThat(ledger.overlaps()).as("copies of one child running at once").isEmpty();
            long acknowledged = savedBefore.values().stream().mapToLong(Long::longValue).sum();
            System.out.printf(
                "[containers] durable restart: 5 nodes killed during %d children's saves, 3"
                    + " started again; all run once, resumed, %.2f s after the first start; every child"
                    + " resumed from at least its last acknowledged position (%d saves"
                    + " acknowledged before the kill), none twice%n",
                CHILDREN, back, acknowledged);
          });
    }
  }
}
