package io.flock.partitions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.supervisor.ChildRef;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition workers (issue 20) over the test's {@link FileLog}: a kill -9 of a node and a rolling
 * restart. The checker is the sink the workers write to, which keeps every item it accepted with
 * the generation that wrote it and, like an outside system given a fencing token, refuses a
 * generation lower than the highest it has seen for that partition.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionWorkersTest {
  private static final Duration WAIT = Duration.ofSeconds(40);
  private static final int PARTITIONS = 4;
  private static final int BATCH = 20;

  /** The outside system: what was processed, by which generation; it fences stale writers. */
  static final class Sink {
    final Map<Integer, Long> highestGeneration = new ConcurrentHashMap<>();
    final Map<Integer, List<Long>> offsets = new ConcurrentHashMap<>(); // in the order accepted
    final List<String> refused = new CopyOnWriteArrayList<>();

    synchronized boolean write(int partition, long offset, long generation) {
      long highest = highestGeneration.getOrDefault(partition, 0L);
      if (generation < highest) {
        refused.add("p" + partition + "@" + offset + " g" + generation + " < g" + highest);
        return false;
      }
      highestGeneration.put(partition, generation);
      offsets.computeIfAbsent(partition, k -> new CopyOnWriteArrayList<>()).add(offset);
      return true;
    }

    /** How often each offset of {@code partition} was processed. */
    synchronized Map<Long, Integer> counts(int partition) {
      Map<Long, Integer> out = new HashMap<>();
      for (long o : offsets.getOrDefault(partition, List.of())) {
        out.merge(o, 1, Integer::sum);
      }
      return out;
    }
  }

  private final FileLog log;
  private final Sink sink = new Sink();
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);
  private final AtomicBoolean appending = new AtomicBoolean(true);
  private Thread appender = new Thread(() -> {});

  PartitionWorkersTest(@TempDir Path dir) {
    this.log = new FileLog(dir, PARTITIONS);
  }

  private static ChildRef at(Map<Integer, ChildRef> assignments, int partition) {
    return java.util.Objects.requireNonNull(assignments.get(partition), "partition " + partition);
  }

  private PartitionWorker worker(int partition) {
    return ctx -> {
      List<String> items = log.read(ctx.partition(), ctx.position(), BATCH);
      if (items.isEmpty()) {
        Thread.sleep(5);
        return;
      }
      long offset = ctx.position();
      for (int i = 0; i < items.size(); i++) {
        if (!sink.write(ctx.partition(), offset, ctx.generation())) {
          throw new IllegalStateException("fenced by the sink at generation " + ctx.generation());
        }
        ctx.ack(++offset);
      }
    };
  }

  private DistributedSupervisor boot(int i) {
    return DistributedSupervisor.builder("workers", cluster.node(i))
        .strategy(DistributionStrategy.uniformQuorum())
        .factory(PartitionWorkers.factoryName("orders"), PartitionWorkers.factory(this::worker))
        .start();
  }

  private PartitionWorkers start(int n, int itemsEach) throws Exception {
    for (int p = 0; p < PARTITIONS; p++) {
      for (int i = 0; i < itemsEach; i++) {
        log.append(p, "item-" + p + "-" + i);
      }
    }
    cluster = TestCluster.start(n, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    for (int i = 0; i < n; i++) {
      supervisors.add(boot(i));
    }
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    return PartitionWorkers.start("orders", PARTITIONS, supervisors.get(0)).join();
  }

  private void keepAppending() {
    appender =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  int i = 0;
                  while (appending.get()) {
                    for (int p = 0; p < PARTITIONS; p++) {
                      log.append(p, "more-" + p + "-" + i);
                    }
                    i++;
                    try {
                      Thread.sleep(2);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
  }

  private void stopAppending() throws InterruptedException {
    appending.set(false);
    appender.join(5_000);
  }

  private boolean allProcessed() {
    for (int p = 0; p < PARTITIONS; p++) {
      if (sink.counts(p).size() != log.size(p)) {
        return false;
      }
    }
    return true;
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    stopAppending();
    supervisors.forEach(DistributedSupervisor::close);
    cluster.close();
  }

  @Test
  void afterAKillEveryPartitionResumesFromItsLastSavedPositionAndStaleCopiesAreFenced()
      throws Exception {
    PartitionWorkers orders = start(3, 200);
    keepAppending();
    TestCluster.await(WAIT, () -> sink.counts(0).size() > 300, "work under way");
    Map<Integer, ChildRef> before = orders.assignments().join();
    assertThat(before).hasSize(PARTITIONS);
    String victim = at(before, 0).node().name();
    int index = Integer.parseInt(victim.substring(1));
    supervisors.get(index).close();
    cluster.kill(index);
    Thread.sleep(500);
    stopAppending();
    TestCluster.await(WAIT, this::allProcessed, "every item processed");
    for (int p = 0; p < PARTITIONS; p++) {
      Map<Long, Integer> counts = sink.counts(p);
      long twice = counts.values().stream().filter(c -> c > 1).count();
      assertThat(counts.keySet())
          .as("partition " + p + ": every offset")
          .hasSize((int) log.size(p));
      boolean moved = at(before, p).node().name().equals(victim);
      assertThat(twice)
          .as("partition " + p + ": at least once; again at most what followed its last save")
          .isLessThanOrEqualTo(moved ? BATCH : 0);
    }
    Map<Integer, ChildRef> after = orders.assignments().join();
    for (int p = 0; p < PARTITIONS; p++) {
      boolean moved = at(before, p).node().name().equals(victim);
      assertThat(at(after, p).generation())
          .as("partition " + p + "'s assignment generation")
          .isEqualTo(moved ? at(before, p).generation() + 1 : at(before, p).generation());
    }
  }

  @Test
  void aRollingRestartHandsEachPositionOverAndProcessesNothingTwice() throws Exception {
    start(3, 100);
    keepAppending();
    for (int i = 0; i < 3; i++) {
      // A handle from a node that stays up (start is idempotent: the partitions stay put).
      PartitionWorkers other =
          PartitionWorkers.start("orders", PARTITIONS, supervisors.get((i + 1) % 3)).join();
      TestCluster.await(
          WAIT, () -> other.assignments().join().size() == PARTITIONS, "all assigned");
      supervisors.get(i).stop(Duration.ofSeconds(10)).join();
      cluster.restart(i);
      supervisors.set(i, boot(i));
      TestCluster.await(WAIT, cluster::converged, "node " + i + " back");
    }
    Thread.sleep(300);
    stopAppending();
    TestCluster.await(WAIT, this::allProcessed, "every item processed");
    for (int p = 0; p < PARTITIONS; p++) {
      Map<Long, Integer> counts = sink.counts(p);
      assertThat(counts.keySet())
          .as("partition " + p + ": every offset")
          .hasSize((int) log.size(p));
      assertThat(counts.values())
          .as("partition " + p + ": with hand-off nothing is processed twice")
          .allMatch(c -> c == 1);
    }
    assertThat(sink.refused).isEmpty();
    PartitionWorkers orders =
        PartitionWorkers.start("orders", PARTITIONS, supervisors.get(0)).join();
    assertThat(orders.assignments().join().values())
        .as("every partition moved at least once")
        .allMatch(r -> r.generation() > 1);
  }

  @Test
  void badArgumentsAreRefusedWithTheirNames() throws Exception {
    start(1, 0);
    DistributedSupervisor sup = supervisors.get(0);
    assertThatThrownBy(() -> PartitionWorkers.start("a/b", 2, sup))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("source");
    assertThatThrownBy(() -> PartitionWorkers.start("a", 0, sup))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partitions");
    assertThatThrownBy(() -> PartitionWorkers.factoryName(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("source");
  }
}
