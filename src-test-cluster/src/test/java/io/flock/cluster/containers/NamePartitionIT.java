package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.runningOnce;
import static org.assertj.core.api.Assertions.assertThat;

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
 * Issue 17's name scenario on five node containers: during a 2|3 partition both sides register the
 * same 1,000 names for children running on their side. After the heal the minority is told it is
 * down and rejoins as new incarnations, so the names it registered while cut off die with its old
 * incarnation: every node must agree on one owner per name, the majority's child, none may vanish
 * (Horde #186), and no child of the majority is told it lost or stopped.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NamePartitionIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int NAMES = 1_000;

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  /** name → owner line ("child node"), as {@code node}'s replica sees it; empty on error. */
  private static Map<String, String> names(ContainerCluster c, String node) {
    Map<String, String> out = new HashMap<>();
    try {
      for (String line : c.get(node, "/names").lines().toList()) {
        int space = line.indexOf(' ');
        String rest = line.substring(space + 1); // "child node generation"
        out.put(line.substring(0, space), rest.substring(0, rest.lastIndexOf(' ')));
      }
    } catch (Exception e) {
      return Map.of();
    }
    return out;
  }

  /** Per node: how many names it shows, and a few that are not with an n3 child. */
  private static String summary(ContainerCluster c, List<String> nodes) {
    StringBuilder out = new StringBuilder();
    for (String node : nodes) {
      Map<String, String> seen = names(c, node);
      List<String> off =
          seen.entrySet().stream()
              .filter(e -> !e.getValue().endsWith(" n3"))
              .map(e -> e.getKey() + "=" + e.getValue())
              .sorted()
              .limit(5)
              .toList();
      out.append(String.format("%n%s: %d names, not with n3: %s", node, seen.size(), off));
    }
    return out.toString();
  }

  private static boolean downOn(ContainerCluster c, String node, String other) {
    try {
      return c.get(node, "/members").lines().anyMatch(l -> l.startsWith(other + " DOWN"));
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void afterA2To3HealEveryNameStaysWithTheMajoritysChild() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, false)) {
      c.run(
          () -> {
            Set<String> ids = c.startChildren("n3", "k-", 60);
            List<String> all = c.names();
            c.disconnect("n1");
            c.disconnect("n2");
            ContainerCluster.await(
                WAIT,
                () ->
                    runningOnce(c, List.of("n3", "n4", "n5"), ids)
                        && downOn(c, "n1", "n3")
                        && downOn(c, "n3", "n1"),
                "each side declared the other down, the majority runs every child");
            assertThat(c.post("n1", "/names?prefix=name-&count=" + NAMES))
                .startsWith("registered " + NAMES);
            assertThat(c.post("n3", "/names?prefix=name-&count=" + NAMES))
                .startsWith("registered " + NAMES);
            long t0 = System.nanoTime();
            c.connect("n1");
            c.connect("n2");
            ContainerCluster.await(
                WAIT,
                () -> {
                  Map<String, String> first = names(c, "n3");
                  if (first.size() != NAMES
                      || !first.values().stream().allMatch(o -> o.endsWith(" n3"))) {
                    return false;
                  }
                  for (String node : all) {
                    if (!names(c, node).equals(first)) {
                      return false;
                    }
                  }
                  return true;
                },
                "every node sees every name with its n3 child",
                () -> summary(c, all));
            System.out.printf(
                "[containers] names 2|3: %d names with one owner (the majority's) on every node"
                    + " %.2f s after the heal%n",
                NAMES, (System.nanoTime() - t0) / 1e9);
            for (String node : List.of("n3", "n4", "n5")) {
              assertThat(c.get(node, "/conflicts")).as("conflicts told on " + node).isEmpty();
            }
            ContainerCluster.await(WAIT, () -> runningOnce(c, all, ids), "every child runs once");
          });
    }
  }
}
