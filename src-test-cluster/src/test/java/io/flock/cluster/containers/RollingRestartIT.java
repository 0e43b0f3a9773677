package io.flock.cluster.containers;

import static io.flock.cluster.containers.SigkillIT.runningOnce;
import static io.flock.cluster.containers.SigkillIT.upMembers;
import static org.assertj.core.api.Assertions.assertThat;

import io.flock.cluster.Ledger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 5: a rolling restart of all five nodes, one at a time (SIGTERM, wait for the exit, start
 * again), under a steady load of children being started. A graceful stop stops its children first
 * and then hands them over, so the documented window for duplicates is empty: no two copies of a
 * child may ever overlap, and every acknowledged child runs once at the end.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class RollingRestartIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @BeforeAll
  static void docker() {
    ContainerCluster.requireDocker();
  }

  @Test
  void aRollingRestartLosesNothingAndNeverRunsAChildTwice() throws Exception {
    try (ContainerCluster c = ContainerCluster.start(5, false)) {
      c.run(
          () -> {
            List<String> all = c.names();
            Set<String> ids = ConcurrentHashMap.newKeySet();
            ids.addAll(c.startChildren("n1", "r-", 150));

            AtomicBoolean loading = new AtomicBoolean(true);
            AtomicReference<String> restarting = new AtomicReference<>("");
            AtomicInteger refused = new AtomicInteger();
            Thread load =
                Thread.ofVirtual()
                    .start(
                        () -> {
                          for (int batch = 0; loading.get(); batch++) {
                            String via = "n" + (1 + batch % all.size());
                            if (via.equals(restarting.get())) {
                              continue;
                            }
                            String prefix = "l" + batch + "-";
                            try {
                              // Only acknowledged starts count: a refused batch may be partial.
                              if (c.post(via, "/children?count=5&prefix=" + prefix)
                                  .startsWith("started 5")) {
                                for (int i = 0; i < 5; i++) {
                                  ids.add(prefix + i);
                                }
                              }
                            } catch (Exception e) {
                              refused.incrementAndGet();
                            }
                            try {
                              Thread.sleep(250);
                            } catch (InterruptedException e) {
                              return;
                            }
                          }
                        });

            List<String> timings = new ArrayList<>();
            for (String name : all) {
              restarting.set(name);
              Set<String> before = Set.copyOf(ids);
              long t0 = System.nanoTime();
              c.restart(name, WAIT);
              double down = (System.nanoTime() - t0) / 1e9;
              ContainerCluster.await(
                  WAIT,
                  () -> upMembers(c, name) == all.size() && upMembers(c, other(name)) == all.size(),
                  name + " rejoined");
              double rejoined = (System.nanoTime() - t0) / 1e9;
              ContainerCluster.await(
                  WAIT, () -> runningOnce(c, all, before), "every child runs once after " + name);
              timings.add(
                  String.format(
                      "%s: stop+start %.1f s, rejoined %.1f s, %d children run once %.1f s",
                      name, down, rejoined, before.size(), (System.nanoTime() - t0) / 1e9));
              restarting.set("");
            }
            loading.set(false);
            load.join();
            ContainerCluster.await(WAIT, () -> runningOnce(c, all, ids), "all run once at the end");

            Ledger ledger = new Ledger();
            for (String node : all) {
              ledger.add(c.get(node, "/ledger"), System.currentTimeMillis());
            }
            long gapMax = 0;
            List<Long> gaps = new ArrayList<>();
            for (List<Ledger.Copy> copies : ledger.copies().values()) {
              List<Ledger.Copy> sorted = new ArrayList<>(copies);
              sorted.sort((a, b) -> Long.compare(a.from(), b.from()));
              for (int i = 1; i < sorted.size(); i++) {
                long gap = sorted.get(i).from() - sorted.get(i - 1).to();
                gaps.add(gap);
                gapMax = Math.max(gapMax, gap);
              }
            }
            gaps.sort(null);
            timings.forEach(t -> System.out.println("[containers] rolling restart " + t));
            System.out.printf(
                "[containers] rolling restart: %d children (%d requests refused while nodes"
                    + " restarted), %d hand-overs, gap median %d ms, max %d ms; none twice%n",
                ids.size(),
                refused.get(),
                gaps.size(),
                gaps.isEmpty() ? 0 : gaps.get(gaps.size() / 2),
                gapMax);
            assertThat(ledger.overlaps()).as("copies of one child running at once").isEmpty();
            assertThat(ledger.copies().keySet()).containsAll(ids);
            assertThat(gaps).as("children moved by the restarts").isNotEmpty();
          });
    }
  }

  private static String other(String name) {
    return name.equals("n1") ? "n2" : "n1";
  }
}
