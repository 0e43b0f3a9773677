package io.flock.cluster.containers;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.cluster.Ledger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Scenario 1: SIGKILL one of five nodes under a steady load of children being started. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SigkillIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void everyChildRunsAgainExactlyOnceAfterASigkill() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, false)) {
      c.run(
          () -> {
            ContainerCluster.await(WAIT, () -> upMembers(c, "n1") == 5, "5 members up");
            Set<String> ids = ConcurrentHashMap.newKeySet();
            assertThat(c.post("n1", "/children?count=200&prefix=a-")).startsWith("started 200");
            for (int i = 0; i < 200; i++) {
              ids.add("a-" + i);
            }
            c.awaitRunningOnce(WAIT, ids, "200 run once");

            AtomicBoolean loading = new AtomicBoolean(true);
            Thread load =
                Thread.ofVirtual()
                    .start(
                        () -> {
                          for (int batch = 0; loading.get(); batch++) {
                            try {
                              String prefix = "b" + batch + "-";
                              c.post("n" + (1 + batch % 4), "/children?count=10&prefix=" + prefix);
                              for (int i = 0; i < 10; i++) {
                                ids.add(prefix + i);
                              }
                              Thread.sleep(300);
                            } catch (Exception e) {
                              return;
                            }
                          }
                        });
            Thread.sleep(2_000);
            String victimLedger = c.get("n5", "/ledger");
            Set<String> before = Set.copyOf(ids);
            long killedAt = System.currentTimeMillis();
            long t0 = System.nanoTime();
            c.kill("n5");
            List<String> survivors = List.of("n1", "n2", "n3", "n4");
            ContainerCluster.await(
                WAIT,
                () -> runningOnce(c, survivors, before),
                "the pre-kill children run once again");
            double recovery = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(2_000); // the load goes on a little after the recovery
            loading.set(false);
            load.join();
            ContainerCluster.await(
                WAIT, () -> runningOnce(c, survivors, ids), "all run once on survivors");
            System.out.printf(
                "[containers] SIGKILL n5: the %d children started before the kill run once on the 4"
                    + " survivors %.2f s after it; %d in all after the load, none twice%n",
                before.size(), recovery, ids.size());

            Ledger ledger = new Ledger();
            ledger.add(victimLedger, killedAt);
            for (String node : survivors) {
              ledger.add(c.get(node, "/ledger"), System.currentTimeMillis());
            }
            assertThat(ledger.overlaps()).as("copies of one child running at once").isEmpty();
            assertThat(ledger.copies().keySet()).containsAll(ids);
          });
    }
  }

  static long upMembers(ContainerCluster c, String node) {
    try {
      return c.get(node, "/members").lines().filter(l -> l.endsWith(" UP true")).count();
    } catch (Exception e) {
      return 0;
    }
  }

  static Map<String, Integer> runningOn(ContainerCluster c, String node) {
    Map<String, Integer> out = new HashMap<>();
    try {
      for (String line : c.get(node, "/local").lines().toList()) {
        if (line.endsWith(" RUNNING")) {
          out.merge(line.substring(0, line.indexOf(' ')), 1, Integer::sum);
        }
      }
    } catch (Exception e) {
      return Map.of();
    }
    return out;
  }

  /** What keeps {@code ids} from running exactly once over {@code nodes} (for a failure). */
  static String notRunningOnce(ContainerCluster c, List<String> nodes, Set<String> ids) {
    Map<String, List<String>> where = new java.util.TreeMap<>();
    for (String node : nodes) {
      runningOn(c, node)
          .forEach(
              (id, n) -> {
                for (int i = 0; i < n; i++) {
                  where.computeIfAbsent(id, k -> new java.util.ArrayList<>()).add(node);
                }
              });
    }
    List<String> missing = ids.stream().filter(id -> !where.containsKey(id)).sorted().toList();
    Map<String, List<String>> doubled = new java.util.TreeMap<>();
    where.forEach(
        (id, on) -> {
          if (on.size() > 1) {
            doubled.put(id, on);
          }
        });
    return "; not running: " + missing + "; running more than once: " + doubled;
  }

  /** Whether each of {@code ids} runs exactly once over {@code nodes}. */
  static boolean runningOnce(ContainerCluster c, List<String> nodes, Set<String> ids) {
    Map<String, Integer> all = new HashMap<>();
    for (String node : nodes) {
      runningOn(c, node).forEach((id, n) -> all.merge(id, n, Integer::sum));
    }
    for (String id : ids) {
      if (all.getOrDefault(id, 0) != 1) {
        return false;
      }
    }
    return all.values().stream().allMatch(n -> n == 1);
  }
}
