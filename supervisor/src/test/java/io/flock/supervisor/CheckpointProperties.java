package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterTry;

/**
 * Issue 20: checkpoints under random saves, child crashes, node kills with a quick restart under
 * the same name, partitions, and a node's checkpoints cut from one other node before it is killed
 * (the node its children move to may lack their last save), with the quorum strategy; one fault at
 * a time (the guarantee is for the loss of any minority). The ledger is what the copies did: the
 * position each copy resumed from, and every save acknowledged to it. Every copy resumes from at
 * least every position acknowledged to a copy that began before it: the surviving checkpoint is
 * always the highest acknowledged.
 */
class CheckpointProperties {
  private static final Duration WAIT = Duration.ofSeconds(40);
  private static final int NODES = 3;
  private static final int CHILDREN = 6;

  /**
   * One copy of a child, numbered in the order copies began (a child stopped by a lapsed lease and
   * started again after the heal keeps its generation and counts its local restarts from 1 again,
   * so (generation, incarnation) does not order copies; at most one runs at a time).
   */
  record Copy(String id, long began, long generation, int incarnation, String node)
      implements Comparable<Copy> {
    @Override
    public int compareTo(Copy o) {
      return Long.compare(began, o.began);
    }
  }

  private final AtomicLong began = new AtomicLong();
  private TestCluster cluster = TestCluster.start(0);
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private final Map<Copy, Long> loaded = new ConcurrentHashMap<>();
  private final Map<Copy, Long> acked = new ConcurrentHashMap<>();
  private final List<String> running = new CopyOnWriteArrayList<>();

  @AfterTry
  void stop() {
    supervisors.forEach(DistributedSupervisor::close);
    supervisors.clear();
    cluster.close();
    loaded.clear();
    acked.clear();
    running.clear();
  }

  private ChildFactory counter(long seed) {
    return spec ->
        ctx -> {
          Copy copy =
              new Copy(
                  ctx.id(),
                  began.incrementAndGet(),
                  ctx.generation(),
                  ctx.incarnation(),
                  ctx.node());
          Random crash = new Random(seed ^ copy.hashCode());
          Checkpoint c = ctx.load();
          long position = c == null ? 0 : ByteBuffer.wrap(c.state()).getLong();
          loaded.put(copy, position);
          String me = ctx.id() + "@" + ctx.node() + "#" + ctx.generation();
          running.add(me);
          try {
            while (!ctx.stopRequested()) {
              position++;
              try {
                ctx.save(ByteBuffer.allocate(8).putLong(position).array()).join();
                acked.merge(copy, position, Math::max);
              } catch (CompletionException refused) {
                // fenced or not acknowledged in time: nothing to count
              }
              if (crash.nextInt(400) == 0) {
                throw new IllegalStateException("a crash at " + position);
              }
              Thread.sleep(5);
            }
          } finally {
            running.remove(me);
          }
        };
  }

  private DistributedSupervisor boot(int i, long seed) {
    return DistributedSupervisor.builder("workers", cluster.node(i))
        .strategy(DistributionStrategy.uniformQuorum())
        .intensity(1_000, Duration.ofSeconds(1))
        .factory("counter", counter(seed))
        .start();
  }

  /**
   * Found by the property in CI (sample 5615340): n0, killed and restarted under its name, held an
   * empty replica and counted it in the read of a child placed on it: the child resumed from
   * position 6 after 516 had been acknowledged. Only replicas that are whole count now.
   */
  @net.jqwik.api.Example
  void aNodeRestartedUnderItsNameDoesNotCountItsEmptyReplicaInARead() throws Exception {
    everyCopyResumesFromAtLeastEveryEarlierAcknowledgedSave(5615340L);
  }

  /**
   * Waits (up to 10 s) until every node's replica of the checkpoints holds, for each child, at
   * least the highest position acknowledged when the wait began. It does not fail: a replica that
   * never gets there (a copy resumed from less) is what the ledger check at the end reports.
   */
  private void awaitReplicasHoldEveryAcknowledgedSave() throws InterruptedException {
    Map<String, Long> target = new java.util.HashMap<>();
    acked.forEach((copy, position) -> target.merge(copy.id(), position, Math::max));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!replicasHold(target) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private boolean replicasHold(Map<String, Long> target) {
    for (int i = 0; i < NODES; i++) {
      io.flock.membership.Cluster node = cluster.node(i);
      boolean holds =
          TestCluster.onCore(
              node,
              () -> {
                io.flock.membership.Scope<String, CheckpointRecord> scope =
                    node.scope("supervisor.workers.checkpoints", CheckpointRecord.ORDER);
                for (Map.Entry<String, Long> t : target.entrySet()) {
                  CheckpointRecord r = scope.getNow(t.getKey());
                  if (r == null
                      || ByteBuffer.wrap(r.toCheckpoint(t.getKey()).state()).getLong()
                          < t.getValue()) {
                    return false;
                  }
                }
                return true;
              });
      if (!holds) {
        return false;
      }
    }
    return true;
  }

  /**
   * Found in CI (sample 7654): n0 was cut off and healed, then n2 and n1 were killed 61 ms apart
   * within 300 ms of the heal. Saves acknowledged by n1 and n2 while n0 was away were held by them
   * only, and both lost their replicas: a majority lost at once, beyond what in-memory checkpoints
   * promise (the loss of any minority). A copy resumed from position 1 after 519 had been
   * acknowledged. The schedule now brings one fault at a time, each after the cluster converged and
   * every replica holds what was acknowledged; this sample passes under it.
   */
  @net.jqwik.api.Example
  void oneFaultAtATimeNeverTwoKillsWithinTheReplicationWindow() throws Exception {
    everyCopyResumesFromAtLeastEveryEarlierAcknowledgedSave(7654L);
  }

  @Property(tries = 4)
  void everyCopyResumesFromAtLeastEveryEarlierAcknowledgedSave(@ForAll long seed) throws Exception {
    Random random = new Random(seed);
    cluster = TestCluster.start(NODES, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    for (int i = 0; i < NODES; i++) {
      supervisors.add(boot(i, seed));
    }
    TestCluster.await(WAIT, cluster::converged, "nodes up");
    for (int c = 0; c < CHILDREN; c++) {
      supervisors.get(0).startChild(ChildSpec.of("p" + c, "counter")).join();
    }
    for (int step = 0; step < 4; step++) {
      int node = random.nextInt(NODES);
      switch (random.nextInt(4)) {
        case 0 -> { // kill -9, then a quick restart under the same name
          supervisors.get(node).close();
          cluster.restart(node);
          supervisors.set(node, boot(node, seed));
        }
        case 1 -> { // cut off alone for a while, then healed
          cluster.partition(Set.of(node));
          Thread.sleep(500 + random.nextInt(2_500));
          cluster.heal();
        }
        case 2 -> { // its checkpoints stop reaching one other node, then it is killed
          int other = (node + 1 + random.nextInt(NODES - 1)) % NODES;
          cluster.cutScope(node, other, "supervisor.workers.checkpoints");
          Thread.sleep(40);
          supervisors.get(node).close();
          cluster.restart(node);
          supervisors.set(node, boot(node, seed));
          cluster.healScopes();
        }
        default -> Thread.sleep(200 + random.nextInt(800)); // saves and crashes only
      }
      // One fault at a time: the next after the cluster converged and every replica holds what was
      // acknowledged so far, so no save lives only on nodes that fail together.
      TestCluster.await(WAIT, cluster::converged, "converged after step " + step);
      awaitReplicasHoldEveryAcknowledgedSave();
    }
    cluster.heal();
    TestCluster.await(WAIT, cluster::converged, "converged after the last heal");
    TestCluster.await(WAIT, () -> running.size() == CHILDREN, "every child runs once");
    Thread.sleep(300);
    for (Map.Entry<Copy, Long> l : Map.copyOf(loaded).entrySet()) {
      Copy later = l.getKey();
      for (Map.Entry<Copy, Long> a : Map.copyOf(acked).entrySet()) {
        Copy earlier = a.getKey();
        if (earlier.id().equals(later.id()) && earlier.compareTo(later) < 0) {
          assertThat(l.getValue())
              .as(
                  later
                      + " resumed from at least what "
                      + earlier
                      + " had acknowledged; loaded "
                      + loaded
                      + " acked "
                      + acked)
              .isGreaterThanOrEqualTo(a.getValue());
        }
      }
    }
    assertThat(loaded)
        .as("copies followed each other (crashes, moves)")
        .hasSizeGreaterThan(CHILDREN);
  }
}
