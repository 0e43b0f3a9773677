package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.supervisor.SupervisorException.Reason;
import io.flock.testkit.TestCluster;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checkpoints (issue 20): a restarted or moved child resumes from its last acknowledged save; order
 * is (generation, sequence); a stale copy is fenced; a graceful move hands the state over. The
 * checker is a ledger the children write: what each copy loaded, and every save acknowledged to it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CheckpointTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** What the counting children did: positions acknowledged and loaded, per copy. */
  static final class Positions {
    /** id → the highest position whose save was acknowledged, per generation "id@g". */
    final Map<String, Long> acked = new ConcurrentHashMap<>();

    /** "id@g" → the position the copy of generation g resumed from (-1: no checkpoint). */
    final Map<String, Long> loaded = new ConcurrentHashMap<>();

    /** Saves refused, by reason, with the copy. */
    final List<String> refused = new CopyOnWriteArrayList<>();

    /** Saves acknowledged to a copy after its node lost the lease (must stay empty). */
    final List<String> ackedStale = new CopyOnWriteArrayList<>();

    long ackedFor(String id, long generation) {
      return acked.getOrDefault(id + "@" + generation, -1L);
    }

    /**
     * A child that resumes from its checkpoint and saves position + 1 every few ms until stopped;
     * with {@code handOff} it saves nothing while it runs and hands its position over on its way
     * out.
     */
    ChildFactory counter(boolean handOff, long pauseMillis) {
      return spec ->
          ctx -> {
            Checkpoint c = ctx.load();
            long position = c == null ? -1 : decode(c.state());
            loaded.put(ctx.id() + "@" + ctx.generation(), position);
            String copy = ctx.id() + "@" + ctx.generation();
            try {
              while (!ctx.stopRequested()) {
                position++;
                if (!handOff) {
                  try {
                    ctx.save(encode(position)).join();
                    acked.merge(copy, position, Math::max);
                  } catch (CompletionException e) {
                    refused.add(copy + " " + e.getCause());
                  }
                }
                Thread.sleep(pauseMillis);
              }
            } catch (InterruptedException stop) {
              // stopping
            }
            if (handOff) {
              ctx.handOff(encode(position));
              acked.merge(copy, position, Math::max);
            }
          };
    }
  }

  static byte[] encode(long position) {
    return ByteBuffer.allocate(8).putLong(position).array();
  }

  static long decode(byte[] state) {
    return ByteBuffer.wrap(state).getLong();
  }

  private final Positions positions = new Positions();
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);

  private void start(int n, Consumer<DistributedSupervisor.Builder> custom) {
    cluster = TestCluster.start(n, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    for (int i = 0; i < n; i++) {
      DistributedSupervisor.Builder b = DistributedSupervisor.builder("workers", cluster.node(i));
      custom.accept(b);
      supervisors.add(b.start());
    }
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
  }

  private DistributedSupervisor sup(int i) {
    return supervisors.get(i);
  }

  @AfterEach
  void stopAll() {
    supervisors.forEach(DistributedSupervisor::close);
    cluster.close();
  }

  private static Set<String> ids(String prefix, int n) {
    Set<String> ids = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      ids.add(prefix + i);
    }
    return ids;
  }

  private int indexOf(String node) {
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.node(i).self().name().equals(node)) {
        return i;
      }
    }
    throw new AssertionError("no node " + node);
  }

  @Test
  void aLocallyRestartedChildResumesFromItsLastSave() throws Exception {
    List<Long> resumedFrom = new CopyOnWriteArrayList<>();
    try (LocalSupervisor local =
        LocalSupervisor.builder("local")
            .factory(
                "crasher",
                spec ->
                    ctx -> {
                      Checkpoint c = ctx.load();
                      long from = c == null ? -1 : decode(c.state());
                      resumedFrom.add(from);
                      ctx.save(encode(from + 10)).join();
                      if (resumedFrom.size() < 3) {
                        throw new IllegalStateException("crash " + resumedFrom.size());
                      }
                      Thread.sleep(Long.MAX_VALUE);
                    })
            .build()) {
      local.startChild(ChildSpec.of("c", "crasher")).join();
      TestCluster.await(WAIT, () -> resumedFrom.size() == 3, "two restarts");
      assertThat(resumedFrom).containsExactly(-1L, 9L, 19L);
    }
  }

  @Test
  void aChildMovedByAKillResumesFromItsLastAcknowledgedSave() throws Exception {
    start(
        3,
        b ->
            b.strategy(DistributionStrategy.uniformQuorum())
                .factory("counter", positions.counter(false, 5)));
    Set<String> ids = ids("k-", 12);
    for (String id : ids) {
      sup(0).startChild(ChildSpec.of(id, "counter")).join();
    }
    TestCluster.await(
        WAIT, () -> ids.stream().allMatch(id -> positions.ackedFor(id, 1) >= 5), "saves made");
    killAndCheckResumed(2, 0, 0);
  }

  /**
   * Kills node {@code victim} (asking node {@code asker} what ran there) after {@code settleMillis}
   * and checks that each of its children's next copy resumed from at least its last acknowledged
   * position.
   */
  private void killAndCheckResumed(int victim, int asker, long settleMillis) throws Exception {
    String name = cluster.node(victim).self().name();
    List<String> moved = new ArrayList<>();
    for (ChildRef r : sup(asker).whichChildren().join()) {
      if (r.node().name().equals(name)) {
        moved.add(r.id());
      }
    }
    assertThat(moved).as("children on the killed node").isNotEmpty();
    Thread.sleep(settleMillis);
    sup(victim).close();
    cluster.kill(victim);
    TestCluster.await(
        WAIT,
        () -> moved.stream().allMatch(id -> positions.loaded.containsKey(id + "@2")),
        "moved children started again");
    for (String id : moved) {
      assertThat(positions.loaded.get(id + "@2"))
          .as(id + " resumed from at least its last acknowledged position")
          .isGreaterThanOrEqualTo(positions.ackedFor(id, 1));
    }
  }

  /**
   * The quorum read: the node a child moves to may not hold its latest checkpoint (its replication
   * was cut); the new copy still resumes from the last acknowledged save, read from a majority.
   */
  @Test
  void aNewCopyReadsTheLastSaveEvenWhereItsReplicaMissedIt() throws Exception {
    start(
        5,
        b ->
            b.strategy(DistributionStrategy.uniformQuorum())
                .factory("counter", positions.counter(false, 5)));
    Set<String> ids = ids("r-", 20);
    for (String id : ids) {
      sup(0).startChild(ChildSpec.of(id, "counter")).join();
    }
    TestCluster.await(
        WAIT, () -> ids.stream().allMatch(id -> positions.ackedFor(id, 1) >= 3), "saves made");
    // From now on, n0's checkpoints reach n1 and n2 only (a majority with n0 itself).
    cluster.cutScope(0, 3, "supervisor.workers.checkpoints");
    cluster.cutScope(0, 4, "supervisor.workers.checkpoints");
    killAndCheckResumed(0, 1, 300); // 300 ms of saves acknowledged without n3 and n4
  }

  /**
   * A copy cut off alone keeps saving (it ignores its stop): every save it makes after its lease
   * lapsed is refused, none is acknowledged after the new copy loaded (the new copy resumed from at
   * least every acknowledged one), and after the heal every node holds the new generation's.
   */
  @Test
  void aStaleCopysSavesAreFencedAndNeverReplaceANewerCheckpoint() throws Exception {
    List<String> staleRefusals = new CopyOnWriteArrayList<>();
    start(
        3,
        b ->
            b.strategy(DistributionStrategy.uniformQuorum())
                .factory("stubborn", stubborn(staleRefusals)));
    ChildRef ref =
        sup(0).startChild(ChildSpec.of("s", "stubborn").withShutdown(new Shutdown.Brutal())).join();
    TestCluster.await(WAIT, () -> positions.ackedFor("s", 1) >= 3, "saves made");
    int alone = indexOf(ref.node().name());
    cluster.partition(Set.of(alone));
    TestCluster.await(WAIT, () -> positions.ackedFor("s", 2) >= 3, "the new copy saves");
    TestCluster.await(WAIT, () -> !staleRefusals.isEmpty(), "the stale copy refused");
    cluster.heal();
    Thread.sleep(1_000); // the stale copy keeps trying after the heal
    assertThat(positions.loaded.get("s@2"))
        .as("the new copy resumed from every save acknowledged to the stale one")
        .isGreaterThanOrEqualTo(positions.ackedFor("s", 1));
    for (int i = 0; i < 3; i++) {
      Checkpoint seen = readAnywhere(i);
      assertThat(seen.generation()).as("node " + i + " holds generation 2's").isEqualTo(2);
    }
  }

  /**
   * Issue 20, "a paused worker's checkpoint writes are fenced after it lost its lease": the core of
   * the node running a copy stalls for 4 s (a stop-the-world pause; the copy's own thread goes on,
   * harder than {@code docker pause}, which freezes it too). The others claim the child once the
   * lease must have lapsed; every save the paused copy makes from then on is refused, none is
   * acknowledged beyond where the new copy resumed, and every node ends with the new generation's.
   */
  @Test
  void aPausedNodesSavesAreFencedOnceItsLeaseLapsed() throws Exception {
    List<String> staleRefusals = new CopyOnWriteArrayList<>();
    start(
        3,
        b ->
            b.strategy(DistributionStrategy.uniformQuorum())
                .factory("stubborn", stubborn(staleRefusals)));
    ChildRef ref =
        sup(0).startChild(ChildSpec.of("s", "stubborn").withShutdown(new Shutdown.Brutal())).join();
    TestCluster.await(WAIT, () -> positions.ackedFor("s", 1) >= 3, "saves made");
    int paused = indexOf(ref.node().name());
    cluster.pause(paused, Duration.ofSeconds(4));
    TestCluster.await(WAIT, () -> positions.ackedFor("s", 2) >= 3, "the new copy saves");
    TestCluster.await(WAIT, () -> !staleRefusals.isEmpty(), "the paused copy refused");
    Thread.sleep(1_000); // the paused copy keeps trying after its core runs again
    assertThat(positions.loaded.get("s@2"))
        .as("the new copy resumed from every save acknowledged to the paused one")
        .isGreaterThanOrEqualTo(positions.ackedFor("s", 1));
    for (int i = 0; i < 3; i++) {
      Checkpoint seen = readAnywhere(i);
      assertThat(seen.generation()).as("node " + i + " holds generation 2's").isEqualTo(2);
    }
  }

  /**
   * Issue 20, Swarm's {@code resolve_conflict}: with the plain strategy a partition lets two copies
   * of one child run and save, one on each side. After the heal the higher generation wins; with
   * {@code handOffLostCheckpoints()} the loser's last checkpoint, which holds saves the winner
   * never continued from, reaches the winning copy as a {@link LostCheckpoint}, which merges it
   * (here: the larger counter) and saves on from there. Without the option nothing is sent.
   */
  @Test
  void aCopyThatLostAConflictHandsItsLastCheckpointToTheWinner() throws Exception {
    Map<String, Long> merged = new ConcurrentHashMap<>();
    start(
        3,
        b ->
            b.strategy(DistributionStrategy.uniform())
                .handOffLostCheckpoints()
                .factory(
                    "merger",
                    spec ->
                        ctx -> {
                          String copy = ctx.id() + "@" + ctx.generation();
                          Checkpoint c = ctx.load();
                          long position = c == null ? 0 : decode(c.state());
                          positions.loaded.put(copy, position);
                          while (!ctx.stopRequested()) {
                            Envelope e = ctx.receive(Duration.ofMillis(10));
                            if (e != null && e.message() instanceof LostCheckpoint lost) {
                              long theirs = decode(lost.checkpoint().state());
                              merged.put(copy, theirs);
                              position = Math.max(position, theirs);
                            }
                            position++;
                            try {
                              ctx.save(encode(position)).get();
                              positions.acked.merge(copy, position, Math::max);
                            } catch (java.util.concurrent.ExecutionException refused) {
                              positions.refused.add(copy + " " + refused.getCause());
                            }
                          }
                        }));
    ChildRef ref = sup(0).startChild(ChildSpec.of("m", "merger")).join();
    TestCluster.await(WAIT, () -> positions.ackedFor("m", 1) >= 3, "saves made");
    int alone = indexOf(ref.node().name());
    cluster.partition(Set.of(alone));
    TestCluster.await(WAIT, () -> positions.ackedFor("m", 2) >= 3, "the other side's copy saves");
    long winnerBase = positions.loaded.getOrDefault("m@2", 0L);
    TestCluster.await(
        WAIT,
        () -> positions.ackedFor("m", 1) > winnerBase + 3,
        "the copy cut off saved beyond where the other side's copy began");
    long loserAcked = positions.ackedFor("m", 1);
    cluster.heal();
    TestCluster.await(WAIT, () -> merged.containsKey("m@2"), "the winner got the loser's state");
    assertThat(merged.get("m@2"))
        .as("the loser's last checkpoint, at least its last acknowledged save")
        .isGreaterThanOrEqualTo(loserAcked);
    TestCluster.await(
        WAIT,
        () -> positions.ackedFor("m", 2) > loserAcked,
        "the winner saves on from the merged state");
  }

  /**
   * A copy that will not stop (it ignores its interrupt) and saves position + 1 every 10 ms; the
   * FENCED refusals of generation 1's saves go to {@code staleRefusals}.
   */
  private ChildFactory stubborn(List<String> staleRefusals) {
    return spec ->
        ctx -> {
          Checkpoint c = ctx.load();
          long position = c == null ? 0 : decode(c.state());
          positions.loaded.put(ctx.id() + "@" + ctx.generation(), position);
          while (true) { // ignores its interrupt: a copy that will not stop
            position++;
            try {
              ctx.save(encode(position)).join();
              positions.acked.merge(ctx.id() + "@" + ctx.generation(), position, Math::max);
            } catch (CompletionException e) {
              if (ctx.generation() == 1
                  && e.getCause() instanceof SupervisorException s
                  && s.reason() == Reason.FENCED) {
                staleRefusals.add(s.getMessage());
              }
            }
            try {
              Thread.sleep(10);
            } catch (InterruptedException ignored) {
              // it will not stop
            }
          }
        };
  }

  private Checkpoint readAnywhere(int i) {
    Checkpoint[] out = new Checkpoint[1];
    TestCluster.await(
        WAIT,
        () ->
            TestCluster.onCore(
                cluster.node(i),
                () -> {
                  var scope =
                      cluster
                          .node(i)
                          .<String, CheckpointRecord>scope(
                              "supervisor.workers.checkpoints", CheckpointRecord.ORDER);
                  CheckpointRecord r = scope.getNow("s");
                  if (r != null) {
                    out[0] = r.toCheckpoint("s");
                  }
                  return r != null && r.generation() == 2;
                }),
        "generation 2's checkpoint on node " + i);
    return out[0];
  }

  /** A graceful stop hands the state over: the next copy resumes exactly where the last stopped. */
  @Test
  void aGracefulStopHandsTheStateToTheNextCopy() throws Exception {
    start(
        3,
        b ->
            b.strategy(DistributionStrategy.uniformQuorum())
                .factory("counter", positions.counter(true, 2)));
    Set<String> ids = ids("h-", 9);
    for (String id : ids) {
      sup(0).startChild(ChildSpec.of(id, "counter")).join();
    }
    TestCluster.await(
        WAIT, () -> ids.stream().allMatch(id -> positions.loaded.containsKey(id + "@1")), "up");
    Thread.sleep(200); // they count in memory
    String leaving = cluster.node(1).self().name();
    List<String> moved = new ArrayList<>();
    for (ChildRef r : sup(0).whichChildren().join()) {
      if (r.node().name().equals(leaving)) {
        moved.add(r.id());
      }
    }
    assertThat(moved).isNotEmpty();
    sup(1).stop(Duration.ofSeconds(10)).join();
    TestCluster.await(
        WAIT,
        () -> moved.stream().allMatch(id -> positions.loaded.containsKey(id + "@2")),
        "moved children started again");
    for (String id : moved) {
      assertThat(positions.loaded.get(id + "@2"))
          .as(id + " resumes exactly where the stopped copy was: nothing done twice or skipped")
          .isEqualTo(positions.ackedFor(id, 1))
          .isPositive();
    }
  }

  @Test
  void aTooLargeStateFailsAtOnceAndSavesNothing() throws Exception {
    List<Throwable> thrown = new CopyOnWriteArrayList<>();
    List<Checkpoint> after = new CopyOnWriteArrayList<>();
    start(
        3,
        b ->
            b.factory(
                "big",
                spec ->
                    ctx -> {
                      try {
                        var unused = ctx.save(new byte[ctx.maxCheckpointBytes() + 1]);
                      } catch (IllegalArgumentException e) {
                        thrown.add(e);
                      }
                      Checkpoint c = ctx.load();
                      after.add(c == null ? new Checkpoint("none", 0, 0, "", new byte[0]) : c);
                      ctx.save(new byte[ctx.maxCheckpointBytes()]).join(); // the largest is fine
                      after.add(ctx.load());
                      Thread.sleep(Long.MAX_VALUE);
                    }));
    sup(0).startChild(ChildSpec.of("b", "big")).join();
    TestCluster.await(WAIT, () -> after.size() == 2, "the child saved");
    assertThat(thrown).singleElement().satisfies(e -> assertThat(e).hasMessageContaining("state"));
    assertThat(after.get(0).id()).isEqualTo("none");
    assertThat(after.get(1).size()).isEqualTo(cluster.node(0).settings().maxValueBytes() / 2);
  }

  @Test
  void checkpointsOfAChildThatEndsForGoodAreCollected() throws Exception {
    start(
        3,
        b ->
            b.strategy(DistributionStrategy.uniformQuorum())
                .factory("counter", positions.counter(false, 5)));
    sup(0).startChild(ChildSpec.of("t", "counter")).join();
    TestCluster.await(WAIT, () -> positions.ackedFor("t", 1) >= 3, "saves made");
    sup(1).terminateChild("t").join();
    for (int i = 0; i < 3; i++) {
      int n = i;
      TestCluster.await(
          WAIT,
          () ->
              TestCluster.onCore(
                  cluster.node(n),
                  () ->
                      cluster
                              .node(n)
                              .<String, CheckpointRecord>scope(
                                  "supervisor.workers.checkpoints", CheckpointRecord.ORDER)
                              .getNow("t")
                          == null),
          "checkpoint gone on node " + n);
    }
    // Started again, it begins afresh, above the marker's generation.
    ChildRef again = sup(2).startChild(ChildSpec.of("t", "counter")).join();
    TestCluster.await(
        WAIT, () -> positions.loaded.containsKey("t@" + again.generation()), "started again");
    assertThat(positions.loaded.get("t@" + again.generation())).isEqualTo(-1L);
  }

  @Test
  @SuppressWarnings("NullAway") // passes null on purpose
  void badArgumentsAreRefusedWithTheirNames() throws Exception {
    List<Throwable> thrown = new CopyOnWriteArrayList<>();
    start(
        1,
        b ->
            b.factory(
                "x",
                spec ->
                    ctx -> {
                      try {
                        var unused = ctx.save(null);
                      } catch (NullPointerException e) {
                        thrown.add(e);
                      }
                      Thread.sleep(Long.MAX_VALUE);
                    }));
    sup(0).startChild(ChildSpec.of("x", "x")).join();
    TestCluster.await(WAIT, () -> thrown.size() == 1, "refused");
    assertThat(thrown.get(0)).hasMessageContaining("state");
  }
}
