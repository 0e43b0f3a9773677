package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Durable supervisors (issue 20): when the whole cluster stops and only some of its nodes start
 * again, every permanent child runs again (with a quorum strategy never two copies at once),
 * resuming from at least its last acknowledged checkpoint. The checker is what the children did:
 * each copy's resume position, every save acknowledged to a copy, and how many copies of a child
 * ran at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DurableSupervisorTest {
  private static final Duration WAIT = Duration.ofSeconds(40);

  private final CheckpointTest.Positions positions = new CheckpointTest.Positions();
  private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
  private final List<String> twice = new CopyOnWriteArrayList<>();
  private final Set<String> started = ConcurrentHashMap.newKeySet(); // "id@generation", each start
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);

  @AfterEach
  void stopAll() {
    supervisors.forEach(DistributedSupervisor::close);
    cluster.close();
  }

  /**
   * A child that resumes from its checkpoint and saves position + 1 every 10 ms, waiting for each
   * acknowledgement interruptibly (so a stop ends it at once, as a power cut would); it counts its
   * copies running at once.
   */
  private ChildFactory counted() {
    return spec ->
        ctx -> {
          started.add(ctx.id() + "@" + ctx.generation());
          AtomicInteger n = running.computeIfAbsent(ctx.id(), k -> new AtomicInteger());
          if (n.incrementAndGet() > 1) {
            twice.add(ctx.id() + "@" + ctx.generation());
          }
          String copy = ctx.id() + "@" + ctx.generation();
          try {
            Checkpoint c = ctx.load();
            long position = c == null ? -1 : CheckpointTest.decode(c.state());
            positions.loaded.put(copy, position);
            while (!ctx.stopRequested()) {
              position++;
              try {
                ctx.save(CheckpointTest.encode(position)).get();
                positions.acked.merge(copy, position, Math::max);
              } catch (java.util.concurrent.ExecutionException e) {
                positions.refused.add(copy + " " + e.getCause());
              }
              Thread.sleep(10);
            }
          } catch (InterruptedException stop) {
            // stopping
          } finally {
            n.decrementAndGet();
          }
        };
  }

  private DistributedSupervisor supervisor(int i, DistributionStrategy strategy) {
    DistributedSupervisor s =
        DistributedSupervisor.builder("durable", cluster.node(i))
            .strategy(strategy)
            .durable()
            .factory("counter", counted())
            .start();
    supervisors.add(s);
    return s;
  }

  /** Starts 3 nodes with a supervisor each and {@code n} children c-0.. from n0. */
  private Set<String> threeNodesWithChildren(Path disk, DistributionStrategy strategy, int n) {
    return nodesWithChildren(disk, 3, strategy, n, 0);
  }

  /**
   * Starts {@code nodes} nodes with a supervisor each and {@code n} children c-0.. from node {@code
   * via}.
   */
  private Set<String> nodesWithChildren(
      Path disk, int nodes, DistributionStrategy strategy, int n, int via) {
    cluster = TestCluster.start(nodes, disk, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, nodes + " nodes up");
    for (int i = 0; i < nodes; i++) {
      supervisor(i, strategy);
    }
    Set<String> ids = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      ids.add("c-" + i);
      supervisors.get(via).startChild(ChildSpec.of("c-" + i, "counter")).join();
    }
    return ids;
  }

  /**
   * The whole cluster stops at once, as a power cut: every link cut first, so no node hears
   * another's supervisor stop (and claims its children) before it stops itself; returns once no
   * copy runs on (their threads have ended). Nodes 0 to {@code nodes - 1} are running.
   */
  private void powerCut(int nodes) {
    for (int i = 0; i < nodes; i++) {
      cluster.partition(Set.of(i));
    }
    for (DistributedSupervisor s : supervisors) {
      s.close();
    }
    supervisors.clear();
    for (int i = 0; i < nodes; i++) {
      cluster.kill(i);
    }
    cluster.heal();
    TestCluster.await(
        WAIT, () -> running.values().stream().allMatch(n -> n.get() == 0), "every copy ended");
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aWholeClusterRestartRunsEveryChildAgainFromItsLastCheckpoint(
      boolean quorum, @TempDir Path disk) throws Exception {
    DistributionStrategy strategy =
        quorum ? DistributionStrategy.uniformQuorum() : DistributionStrategy.uniform();
    Set<String> ids = threeNodesWithChildren(disk, strategy, 30);
    TestCluster.await(
        WAIT,
        () -> ids.stream().allMatch(id -> positions.ackedFor(id, 1) >= 3),
        "every child saved a few times");
    powerCut(3); // the processes are gone: no copy of the first life runs on
    Map<String, Long> lastAcked = new HashMap<>();
    for (String id : ids) {
      assertThat(positions.loaded).as(id + " ran once before").containsOnlyKeys(loadedBefore(ids));
      lastAcked.put(id, positions.ackedFor(id, 1));
    }
    // Two of the three come back; the third never does.
    cluster.restart(0);
    cluster.restart(1);
    TestCluster.await(WAIT, cluster::converged, "2 nodes up");
    supervisor(0, strategy);
    supervisor(1, strategy);
    everyChildResumedAtGeneration2FromItsLastAck(ids, lastAcked);
    if (quorum) {
      assertThat(twice).as("copies of one child running at once").isEmpty();
    }
    // The plain strategy promises nothing across a roster change (the guide): two supervisors
    // starting at once may both claim a child for an instant; one copy is left of each.
    TestCluster.await(
        WAIT,
        () -> ids.stream().allMatch(id -> running.getOrDefault(id, new AtomicInteger()).get() == 1),
        "one copy of each child runs");
    assertThat(supervisors.get(1).countChildren().join().specs()).isEqualTo(30);
  }

  /**
   * Found by the whole-cluster restart benchmark (100,000 children, quorum strategy; 1 run in 8):
   * one node's core was busy reading its disk for 2.2 s as the supervisors started again, the
   * others declared it down, and it rejoined as a new incarnation while the orphans of the previous
   * life were being claimed; afterwards the claims stopped and not every child ran again. Here n2's
   * core stalls right after the restart, long enough to be declared down: every child must run
   * again, once. (At 60 children this passed on the code that stalled: the stall needed claims in
   * flight by the thousand; what it found is fixed in {@code Reservations#reincarnated} and in
   * reading durable logs off the core, which is what held n2's core.)
   */
  @Test
  void aNodeDeclaredDownDuringAWholeClusterRestartLeavesNoChildBehind(@TempDir Path disk)
      throws Exception {
    DistributionStrategy strategy = DistributionStrategy.uniformQuorum();
    Set<String> ids = threeNodesWithChildren(disk, strategy, 60);
    TestCluster.await(
        WAIT,
        () -> ids.stream().allMatch(id -> running.getOrDefault(id, new AtomicInteger()).get() == 1),
        "every child runs");
    powerCut(3);
    for (int i = 0; i < 3; i++) {
      cluster.restart(i);
    }
    TestCluster.await(WAIT, cluster::converged, "3 nodes up again");
    long before = cluster.node(2).self().incarnation();
    supervisor(0, strategy);
    supervisor(1, strategy);
    cluster.pause(2, Duration.ofSeconds(4)); // declared down by the others: it rejoins anew
    supervisor(2, strategy); // opens its durable scope on its core: after the pause
    TestCluster.await(
        WAIT, () -> cluster.node(2).self().incarnation() != before, "n2 rejoined as a new one");
    TestCluster.await(
        WAIT,
        () -> ids.stream().allMatch(id -> running.getOrDefault(id, new AtomicInteger()).get() == 1),
        "every child runs again, once");
    assertThat(twice).as("copies of one child running at once").isEmpty();
  }

  /**
   * Found by {@code DurableRestartIT} (five containers killed, three started again): the first node
   * to start formed the new cluster alone and claimed every child from its own disk, which lacked
   * the later placements the others held: claims reused generations already used (two copies in two
   * lives with one fencing token), and its checkpoint reads missed saves a majority had
   * acknowledged without it. Here n0 misses the moves of n4's children (its placement scope cut
   * before n4 dies), the whole cluster stops, and n0 starts alone first: it must claim nothing
   * until a majority of the previous five is back and caught up with; then every child runs at a
   * generation above all it had, from at least its last acknowledged checkpoint.
   */
  @Test
  void aNodeThatFormsTheNewClusterAloneClaimsNothingBeforeAMajorityOfTheOldOneIsBack(
      @TempDir Path disk) throws Exception {
    DistributionStrategy strategy = DistributionStrategy.uniformQuorum();
    Set<String> ids = nodesWithChildren(disk, 5, strategy, 40, 1);
    TestCluster.await(
        WAIT,
        () -> ids.stream().allMatch(id -> positions.ackedFor(id, 1) >= 2),
        "every child saved");
    for (int i = 1; i < 5; i++) {
      cluster.cutScope(i, 0, "supervisor.durable");
      cluster.cutScope(i, 0, "supervisor.durable.checkpoints");
    }
    supervisors.get(4).close();
    cluster.kill(4);
    Set<String> moved = new TreeSet<>();
    TestCluster.await(
        WAIT,
        () -> {
          moved.clear();
          positions.loaded.keySet().stream()
              .filter(k -> k.endsWith("@2"))
              .forEach(k -> moved.add(k.substring(0, k.indexOf('@'))));
          // (a copy placed on n0 itself never hears its saves acknowledged: its scopes are cut)
          return moved.stream().filter(id -> positions.ackedFor(id, 2) >= 2).count() >= 2;
        },
        "n4's children moved and saved at generation 2, unknown to n0");
    Thread.sleep(500);
    Map<String, Integer> generationsBefore = new HashMap<>();
    for (String copy : started) {
      String id = copy.substring(0, copy.indexOf('@'));
      generationsBefore.merge(
          id, Integer.parseInt(copy.substring(copy.indexOf('@') + 1)), Math::max);
    }
    powerCut(4);
    cluster.healScopes();
    Map<String, Long> lastAcked = new HashMap<>();
    positions.acked.forEach(
        (copy, position) ->
            lastAcked.merge(copy.substring(0, copy.indexOf('@')), position, Math::max));
    Set<String> startedBefore = Set.copyOf(started);

    cluster.restart(0); // alone: it forms the new cluster
    supervisor(0, strategy);
    Thread.sleep(2_000);
    Set<String> startedAlone = new TreeSet<>(started);
    startedAlone.removeAll(startedBefore);
    assertThat(startedAlone)
        .as("copies started while only one of the previous five is back")
        .isEmpty();
    cluster.restart(1);
    cluster.restart(2);
    supervisor(1, strategy);
    supervisor(2, strategy);
    TestCluster.await(
        WAIT,
        () ->
            ids.stream()
                .allMatch(
                    id ->
                        positions.loaded.containsKey(
                            id + "@" + (generationsBefore.getOrDefault(id, 1) + 1))),
        "every child runs again at a generation above every one it had");
    for (String id : ids) {
      int g = generationsBefore.getOrDefault(id, 1) + 1;
      assertThat(positions.loaded.get(id + "@" + g))
          .as(id + " resumed from at least its last acknowledged position")
          .isGreaterThanOrEqualTo(lastAcked.getOrDefault(id, -1L));
    }
    assertThat(twice).as("copies of one child running at once").isEmpty();
    Set<String> reused = new TreeSet<>();
    Set<String> after = new TreeSet<>(started);
    after.removeAll(startedBefore);
    for (String copy : after) {
      String id = copy.substring(0, copy.indexOf('@'));
      int g = Integer.parseInt(copy.substring(copy.indexOf('@') + 1));
      if (g <= generationsBefore.getOrDefault(id, 1)) {
        reused.add(copy);
      }
    }
    assertThat(reused)
        .as("generations used again after the restart (fencing tokens repeated)")
        .isEmpty();
  }

  /**
   * Found by {@code DurableRestartIT} (five containers killed, three started again; a child resumed
   * from position 60 when 61 had been acknowledged): the last node to start again had not opened
   * its durable scopes yet when the others caught up with it; its empty replicas (made by their
   * first messages) answered for what its disk held, and the others took the last acknowledged
   * saves for missing. Here the saves of n3's and n4's children reach n2 but never n0 or n1; after
   * the power cut n0, n1 and n2 start again, n2's supervisor seconds after the others.
   */
  @Test
  void aNodeWhoseSupervisorStartsLateIsNotTakenForCaughtUpWith(@TempDir Path disk)
      throws Exception {
    DistributionStrategy strategy = DistributionStrategy.uniformQuorum();
    Set<String> ids = nodesWithChildren(disk, 5, strategy, 40, 0);
    TestCluster.await(
        WAIT,
        () -> ids.stream().allMatch(id -> positions.ackedFor(id, 1) >= 1),
        "every child saved");
    for (int from = 3; from < 5; from++) {
      for (int to = 0; to < 2; to++) {
        cluster.cutScope(from, to, "supervisor.durable.checkpoints");
      }
    }
    Map<String, Long> cutAt = new HashMap<>();
    ids.forEach(id -> cutAt.put(id, positions.ackedFor(id, 1)));
    TestCluster.await(
        WAIT,
        () ->
            ids.stream()
                .allMatch(id -> positions.ackedFor(id, 1) >= cutAt.getOrDefault(id, 0L) + 3),
        "every child saved a few times since the cut");
    powerCut(5);
    cluster.healScopes();
    Map<String, Long> lastAcked = new HashMap<>();
    for (String id : ids) {
      lastAcked.put(id, positions.ackedFor(id, 1));
    }
    for (int i = 0; i < 3; i++) {
      cluster.restart(i);
    }
    TestCluster.await(WAIT, cluster::converged, "3 nodes up again");
    supervisor(0, strategy);
    supervisor(1, strategy);
    Thread.sleep(2_500); // n2's cluster node is up, its supervisor not yet
    supervisor(2, strategy);
    everyChildResumedAtGeneration2FromItsLastAck(ids, lastAcked);
    assertThat(twice).as("copies of one child running at once").isEmpty();
  }

  /** Waits until every child runs at generation 2; each resumed from its last acknowledged save. */
  private void everyChildResumedAtGeneration2FromItsLastAck(
      Set<String> ids, Map<String, Long> lastAcked) {
    TestCluster.await(
        WAIT,
        () -> ids.stream().allMatch(id -> positions.loaded.containsKey(id + "@2")),
        "every child runs again at generation 2");
    for (String id : ids) {
      assertThat(positions.loaded.get(id + "@2"))
          .as(id + " resumed from at least its last acknowledged position")
          .isGreaterThanOrEqualTo(lastAcked.get(id));
    }
  }

  private static Set<String> loadedBefore(Set<String> ids) {
    Set<String> copies = new TreeSet<>();
    ids.forEach(id -> copies.add(id + "@1"));
    return copies;
  }

  @Test
  void aDurableSupervisorNeedsStorage() {
    cluster = TestCluster.start(1, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    assertThatThrownBy(() -> supervisor(0, DistributionStrategy.uniform()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("storage");
  }
}
