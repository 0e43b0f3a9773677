package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.runningOn;
import static io.flock.cluster.containers.SigkillIT.runningOnce;
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
 * Scenario 6 (issue 14's finding 1): a one-way cut with the quorum strategy. Packets to n3's Flock
 * port are dropped, so n3 hears nobody while the others still hear n3 over its own connections. n3
 * loses its lease and stops its children; the others hear it say so and re-place them: no child
 * runs on two nodes at once (the ledgers) and none stays stranded; after the rule is removed, one
 * copy of each.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OneWayCutIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        onPath("iptables") && onPath("nsenter"),
        "the one-way cut needs iptables and nsenter on the host (Debian: iptables, util-linux)");
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":", -1)) {
      if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aNodeThatCanTalkButNotListenNeitherStrandsNorDoublesItsChildren() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, true)) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n1", "w-", 100);
            List<String> all = c.names();
            assertThat(runningOn(c, "n3")).isNotEmpty();
            List<String> others = new ArrayList<>(all);
            others.remove("n3");
            long t0 = System.nanoTime();
            c.blockInbound("n3");
            try {
              ContainerCluster.await(
                  WAIT, () -> runningOn(c, "n3").isEmpty(), "n3 stopped its children");
              double fenced = (System.nanoTime() - t0) / 1e9;
              ContainerCluster.await(
                  WAIT, () -> runningOnce(c, others, ids), "the others run all, once");
              double moved = (System.nanoTime() - t0) / 1e9;
              System.out.printf(
                  "[containers] one-way cut of n3 (quorum): n3 fenced after %.2f s, all 100 run"
                      + " once on the others after %.2f s%n",
                  fenced, moved);
            } finally {
              c.unblockInbound("n3");
            }
            ContainerCluster.await(WAIT, () -> runningOnce(c, all, ids), "one copy each after");
            Ledger ledger = new Ledger();
            for (String node : all) {
              ledger.add(c.get(node, "/ledger"), System.currentTimeMillis());
            }
            assertThat(ledger.overlaps()).as("no child ran twice at once").isEmpty();
            assertThat(ledger.copies().keySet()).containsAll(ids);
          });
    }
  }
}
