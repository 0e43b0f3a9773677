package io.flock.cluster.containers;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.cluster.Ledger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The DNS seed path of {@code docs/kubernetes.md} (issue 21): every node finds the others only
 * through the name {@code flock}, which the test-made network resolves to every attached node, as a
 * Kubernetes headless service with {@code publishNotReadyAddresses} does. Scaled 3 → 5 → 3 and
 * restarted node by node under load with the quorum strategy, the nodes form one cluster throughout
 * (no island: every running node sees the same members up), and no acknowledged child is lost or
 * runs twice.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class DnsSeedsIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  /** Each running node's members that are up, as it sees them. */
  private static List<Set<String>> views(ContainerCluster c) {
    List<Set<String>> out = new ArrayList<>();
    for (String node : c.names()) {
      Set<String> up = new TreeSet<>();
      try {
        for (String line : c.get(node, "/members").lines().toList()) {
          if (line.endsWith(" UP true")) {
            up.add(line.substring(0, line.indexOf(' ')));
          }
        }
      } catch (Exception e) {
        up.add("unanswered");
      }
      out.add(up);
    }
    return out;
  }

  /** Every running node sees exactly the running nodes up: one cluster. */
  private static boolean oneCluster(ContainerCluster c) {
    Set<String> running = new TreeSet<>(c.names());
    return views(c).stream().allMatch(running::equals);
  }

  /** No two running nodes that joined see disjoint clusters (an island) at this moment. */
  private static void assertNoIsland(ContainerCluster c) {
    List<Set<String>> views = views(c);
    for (Set<String> a : views) {
      for (Set<String> b : views) {
        // A node that answers nothing, or sees only itself up (it has not joined yet, or has
        // only just: the others turn up in its view a moment later), is no island here; the
        // formations counted in the logs say whether one formed.
        if (!a.contains("unanswered")
            && !b.contains("unanswered")
            && a.size() > 1
            && b.size() > 1) {
          assertThat(a.stream().anyMatch(b::contains))
              .as("two nodes in disjoint clusters: " + views)
              .isTrue();
        }
      }
    }
  }

  @Test
  void nodesFoundThroughOneDnsNameStayOneClusterWhileScaledAndRestarted() throws Exception {
    Map<String, String> dns = Map.of("FLOCK_SEEDS", "", "FLOCK_SEEDS_DNS", "flock:7000");
    try (ContainerCluster c = ContainerCluster.start(3, true, dns)) {
      c.run(
          () -> {
            ContainerCluster.await(WAIT, () -> oneCluster(c), "3 nodes form one cluster");
            Set<String> ids = c.startChildren("n1", "dns-", 60);
            c.awaitRunningOnce(WAIT, ids, "60 run once");
            for (String fresh : List.of("n4", "n5")) {
              c.startNode(fresh);
              assertNoIsland(c);
            }
            ContainerCluster.await(WAIT, () -> oneCluster(c), "5 nodes form one cluster");
            ids.addAll(c.startChildren("n5", "dns5-", 20));
            for (String old : List.of("n4", "n5")) {
              c.retire(old, WAIT);
              assertNoIsland(c);
            }
            ContainerCluster.await(WAIT, () -> oneCluster(c), "back to 3, one cluster");
            c.awaitRunningOnce(WAIT, ids, "all run once after scaling down");
            for (String node : List.of("n1", "n2", "n3")) {
              c.restart(node, WAIT);
              assertNoIsland(c);
              ContainerCluster.await(WAIT, () -> oneCluster(c), node + " back, one cluster");
              ids.addAll(c.startChildren(node, "dns-" + node + "-", 10));
            }
            c.awaitRunningOnce(WAIT, ids, "all run once after the restarts");
            System.out.printf(
                "[containers] DNS seeds (quorum): 3 -> 5 -> 3 and a rolling restart, one cluster"
                    + " throughout, %d children run once%n",
                ids.size());
            long formations = 0;
            for (String node : c.everyName()) {
              formations +=
                  c.logs(node).lines().filter(l -> l.contains("forms a new cluster")).count();
            }
            assertThat(formations).as("clusters formed: one, never an island").isEqualTo(1);
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
