package io.flock.singleton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.Cluster;
import io.flock.membership.ClusterEvent;
import io.flock.singleton.Leadership.Interval;
import io.flock.singleton.SingletonStatus.Activity;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The singleton on in-JVM clusters, under the faults its issue names; the checker is the ledger of
 * leadership intervals the leaders write while they run ({@link Leadership}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SingletonTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration TICK = Duration.ofMillis(20);

  private final Leadership ledger = new Leadership();
  private final List<Singleton> singletons = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);
  private Supplier<Leader> leaders = () -> ledger.leader(TICK);

  private void start(int n) {
    cluster =
        TestCluster.start(
            n,
            b -> b.wireTypes(DistributedSupervisor.wireTypes()).wireTypes(Singleton.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    for (int i = 0; i < n; i++) {
      singletons.add(boot(cluster.node(i)));
    }
  }

  private Singleton boot(Cluster node) {
    return Singleton.builder("boss", node).leader(() -> leaders.get()).start();
  }

  @AfterEach
  void stopAll() {
    singletons.forEach(Singleton::close);
    cluster.close();
  }

  private Interval awaitLeader() {
    TestCluster.await(WAIT, () -> ledger.theLeader() != null, "one leader");
    return java.util.Objects.requireNonNull(ledger.theLeader());
  }

  /** Waits for a term other than {@code old}; returns it. */
  private Interval awaitNewLeader(Interval old) {
    TestCluster.await(
        WAIT,
        () -> {
          Interval l = ledger.theLeader();
          return l != null && l != old;
        },
        "a new leader after " + old + "; terms: " + ledger.intervals);
    return java.util.Objects.requireNonNull(ledger.theLeader());
  }

  private static int slot(Interval i) {
    return Integer.parseInt(i.node.substring(1));
  }

  private void assertNoOverlap() {
    assertThat(ledger.overlaps).as("terms that overlapped").isEmpty();
    assertThat(ledger.generationsGrow()).as("generations in order: " + ledger.intervals).isTrue();
  }

  /**
   * Issue 20 ("durable state: the singleton's state"): without durable placements a whole-cluster
   * restart began the singleton again at generation 1, a fencing token the outside system had
   * already seen. A durable singleton's next term has a greater token than every earlier one.
   */
  @Test
  void aDurableSingletonsFencingTokenGoesOnGrowingAfterAWholeClusterRestart(@TempDir Path disk) {
    cluster =
        TestCluster.start(
            3,
            disk,
            b -> b.wireTypes(DistributedSupervisor.wireTypes()).wireTypes(Singleton.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, "3 nodes up");
    for (int i = 0; i < 3; i++) {
      singletons.add(durable(cluster.node(i)));
    }
    Interval first = awaitLeader();
    // A power cut: every link cut first (no node hears another stop and takes the term), then
    // every node gone.
    for (int i = 0; i < 3; i++) {
      cluster.partition(Set.of(i));
    }
    singletons.forEach(Singleton::close);
    singletons.clear();
    for (int i = 0; i < 3; i++) {
      cluster.kill(i);
    }
    cluster.heal();
    TestCluster.await(WAIT, () -> ledger.theLeader() == null, "no term runs");
    long highest = ledger.intervals.stream().mapToLong(t -> t.generation).max().orElseThrow();
    singletons.add(durable(cluster.restart(0)));
    singletons.add(durable(cluster.restart(1)));
    Interval next = awaitNewLeader(first);
    assertThat(next.generation).as("the token after the restart").isGreaterThan(highest);
    assertNoOverlap();
  }

  private Singleton durable(Cluster node) {
    return Singleton.builder("boss", node).leader(() -> leaders.get()).durable().start();
  }

  @Test
  void exactlyOneTermRunsAndEveryNodeSeesItsLeaderAndDump() {
    start(5);
    Interval leader = awaitLeader();
    for (int i = 0; i < 5; i++) {
      Singleton s = singletons.get(i);
      TestCluster.await(
          WAIT,
          () -> {
            SingletonStatus st = s.status().join();
            return st.leader() != null
                && st.leader().name().equals(leader.node)
                && st.generation() == leader.generation
                && st.leaderSince() != null
                && st.dump().containsKey("ticks");
          },
          "node " + i + " sees the leader and its dump");
      Activity expected =
          cluster.node(i).self().name().equals(leader.node) ? Activity.LEADING : Activity.WAITING;
      assertThat(s.status().join().local()).isEqualTo(expected);
    }
    sleep(500);
    assertThat(ledger.intervals).hasSize(1);
    assertThat(ledger.resource.refused.get()).isZero();
  }

  @Test
  void aKilledLeadersNodeIsReplacedByAHigherGenerationAndItsTokenIsRefused() {
    start(5);
    Interval old = awaitLeader();
    long t0 = System.nanoTime();
    cluster.kill(slot(old));
    Interval next = awaitNewLeader(old);
    System.out.printf(
        "takeover after the leader's node was killed: %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(next.begin - t0));
    assertThat(next.generation).isGreaterThan(old.generation);
    TestCluster.await(WAIT, () -> ledger.resource.highest() == next.generation, "new token used");
    assertThat(ledger.resource.write(old.generation)).as("the old leader's token").isFalse();
    assertNoOverlap();
  }

  /**
   * akka/akka #29680: an unreachable leader must not block the singleton until someone downs it.
   */
  @Test
  void aLeaderCutOffFromEveryoneIsReplacedWithoutAnyoneDowningIt() {
    start(5);
    Interval old = awaitLeader();
    cluster.partition(Set.of(slot(old)));
    Interval next = awaitNewLeader(old);
    assertThat(old.reason).isEqualTo(ShutdownReason.LEASE_LOST);
    assertThat(next.begin).isGreaterThan(old.end);
    cluster.heal();
    sleep(3000);
    assertThat(ledger.theLeader()).as("the singleton stays where it went").isSameAs(next);
    assertNoOverlap();
  }

  @Test
  void aLeaderInTheMinorityEndsItsTermBeforeTheMajorityBeginsOne() {
    start(5);
    Interval old = awaitLeader();
    int other = (slot(old) + 1) % 5;
    cluster.partition(Set.of(slot(old), other));
    Interval next = awaitNewLeader(old);
    assertThat(old.reason).isEqualTo(ShutdownReason.LEASE_LOST);
    assertThat(slot(next)).isNotIn(slot(old), other);
    sleep(1000);
    cluster.heal();
    TestCluster.await(WAIT, cluster::converged, "healed");
    sleep(2000);
    assertThat(ledger.theLeader()).isSameAs(next);
    assertThat(ledger.resource.write(old.generation)).as("the minority's token").isFalse();
    assertNoOverlap();
  }

  @Test
  void aPausedLeaderEndsItsTermWhenItsLeaseLapsesAndTheOthersTakeOver() {
    start(5);
    Interval old = awaitLeader();
    cluster.pause(slot(old), Duration.ofSeconds(8));
    Interval next = awaitNewLeader(old);
    assertThat(old.reason).isEqualTo(ShutdownReason.LEASE_LOST);
    sleep(8000); // the paused node resumes and catches up
    TestCluster.await(WAIT, () -> ledger.theLeader() == next, "one leader after the pause");
    assertNoOverlap();
  }

  @Test
  void aGracefulStopHandsOverTheOldTermEndsBeforeTheNextBegins() {
    start(5);
    Interval old = awaitLeader();
    long t0 = System.nanoTime();
    singletons.get(slot(old)).stop(Duration.ofSeconds(10)).join();
    Interval next = awaitNewLeader(old);
    System.out.printf(
        "graceful hand-over: old term ended %d ms after stop(), the next began %d ms later%n",
        TimeUnit.NANOSECONDS.toMillis(old.end - t0),
        TimeUnit.NANOSECONDS.toMillis(next.begin - old.end));
    assertThat(old.reason).isEqualTo(ShutdownReason.HANDED_OVER);
    assertThat(next.generation).isGreaterThan(old.generation);
    assertThatThrownBy(() -> singletons.get(slot(old)).status().join())
        .hasMessageContaining("stopped");
    assertNoOverlap();
  }

  /** akka/akka #25639: a hand-over whose new host dies as it takes over must not get stuck. */
  @Test
  void aHandOverWhoseNewHostDiesIsTakenOverByAnother() {
    start(5);
    Interval old = awaitLeader();
    singletons.get(slot(old)).stop(Duration.ofSeconds(10)).join();
    Interval next = awaitNewLeader(old);
    cluster.kill(slot(next));
    Interval third = awaitNewLeader(next);
    assertThat(slot(third)).isNotIn(slot(old), slot(next));
    assertThat(third.generation).isGreaterThan(next.generation);
    assertNoOverlap();
  }

  /**
   * akka/akka #27487: several nodes leaving together started the new one before the old stopped.
   */
  @Test
  void twoNodesLeavingAtOnceNeverRunTwoTerms() {
    start(5);
    Interval old = awaitLeader();
    int other = (slot(old) + 1) % 5;
    CompletableFuture<Void> a = cluster.node(slot(old)).leave(Duration.ofSeconds(10));
    CompletableFuture<Void> b = cluster.node(other).leave(Duration.ofSeconds(10));
    CompletableFuture.allOf(a, b).join();
    Interval next = awaitNewLeader(old);
    assertThat(slot(next)).isNotIn(slot(old), other);
    assertThat(old.reason).isEqualTo(ShutdownReason.HANDED_OVER);
    sleep(1000);
    assertNoOverlap();
  }

  /**
   * akka/akka #31383, pekko-management #414: a rolling restart moved the singleton at every step.
   * Here it moves only when its own node restarts.
   */
  @Test
  void aRollingRestartMovesTheSingletonOnlyWhenItsOwnNodeRestarts() {
    start(5);
    awaitLeader();
    List<String> moves = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Interval before = awaitLeader();
      int termsBefore = ledger.intervals.size();
      singletons.get(i).stop(Duration.ofSeconds(10)).join();
      cluster.leave(i);
      Cluster fresh = cluster.restart(i);
      singletons.set(i, boot(fresh));
      TestCluster.await(WAIT, cluster::converged, "n" + i + " back");
      Interval after = awaitLeader();
      sleep(500);
      int began = ledger.intervals.size() - termsBefore;
      if (after != before) {
        moves.add("restart of n" + i + " moved " + before + " to " + after);
        assertThat(before.node).as("moved on another node's restart: " + moves).isEqualTo("n" + i);
      }
      assertThat(began)
          .as("terms begun during the restart of n" + i + ": " + moves)
          .isLessThanOrEqualTo(1);
    }
    System.out.println("rolling restart: " + moves);
    assertNoOverlap();
  }

  /** Horde #207, #224, #88: duplicates after a node was removed or restarted under its name. */
  @Test
  void aQuickRestartOfTheLeadersNodeUnderItsNameNeverRunsTwoTerms() {
    start(5);
    for (int round = 0; round < 3; round++) {
      Interval old = awaitLeader();
      int i = slot(old);
      Cluster fresh = cluster.restart(i);
      singletons.set(i, boot(fresh));
      awaitNewLeader(old);
      TestCluster.await(WAIT, cluster::converged, "n" + i + " back");
    }
    sleep(1000);
    assertThat(ledger.running()).hasSize(1);
    assertNoOverlap();
  }

  @Test
  void theLeaderHearsClusterChangesTicksAndSurvivesACallbackThatThrows() {
    AtomicInteger throwsLeft = new AtomicInteger(1);
    leaders =
        () -> {
          Leader inner = ledger.leader(TICK);
          return new Leader() {
            @Override
            public void onLeader(LeaderContext ctx) throws Exception {
              inner.onLeader(ctx);
              if (throwsLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("a leader that fails on its first callback");
              }
            }

            @Override
            public void onClusterChange(LeaderContext ctx, ClusterEvent event) throws Exception {
              inner.onClusterChange(ctx, event);
            }

            @Override
            public @org.jspecify.annotations.Nullable Duration nextTimer() {
              return inner.nextTimer();
            }

            @Override
            public void onTimer(LeaderContext ctx) throws Exception {
              inner.onTimer(ctx);
            }

            @Override
            public void onShutdown(LeaderContext ctx, ShutdownReason reason) throws Exception {
              inner.onShutdown(ctx, reason);
            }

            @Override
            public java.util.Map<String, String> dump() {
              return inner.dump();
            }
          };
        };
    start(3);
    Interval leader = awaitLeader();
    TestCluster.await(
        WAIT,
        () -> ledger.resource.highest() == leader.generation,
        "the timer ticks after a throw");
    Cluster added = cluster.add();
    singletons.add(boot(added));
    TestCluster.await(
        WAIT,
        () -> ledger.clusterChanges.contains(leader.node + ": MemberUp"),
        "the leader hears the new member; heard " + ledger.clusterChanges);
    Singleton any = singletons.get((slot(leader) + 1) % 3);
    TestCluster.await(
        WAIT,
        () -> Integer.parseInt(any.status().join().dump().getOrDefault("ticks", "0")) > 5,
        "the dump grows on another node");
    assertThat(ledger.intervals).hasSize(1);
  }

  @Test
  void noTermBeginsBeforeTheStartDelay() {
    cluster =
        TestCluster.start(
            3,
            b -> b.wireTypes(DistributedSupervisor.wireTypes()).wireTypes(Singleton.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, "3 nodes up");
    long t0 = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      singletons.add(
          Singleton.builder("boss", cluster.node(i))
              .leader(() -> ledger.leader(TICK))
              .startDelay(Duration.ofMillis(1500))
              .start());
    }
    Interval leader = awaitLeader();
    assertThat(leader.begin - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1500));
    assertThat(singletons.get(0).status().join().createdAt()).isNotNull();
  }

  @Test
  void badArgumentsAreRefusedWithTheirNames() {
    start(1);
    Cluster c = cluster.node(0);
    assertThatThrownBy(() -> Singleton.builder("", c)).hasMessageContaining("name");
    assertThatThrownBy(() -> Singleton.builder("x", c).startDelay(Duration.ofSeconds(-1)))
        .hasMessageContaining("delay");
    assertThatThrownBy(() -> Singleton.builder("x", c).shutdownTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("timeout");
    assertThatThrownBy(() -> Singleton.builder("x", c).callTimeout(Duration.ZERO))
        .hasMessageContaining("timeout");
    assertThatThrownBy(() -> Singleton.builder("x", c).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("leader");
    TestCluster bare = TestCluster.start(1, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    try {
      assertThatThrownBy(() -> Singleton.builder("x", bare.node(0)))
          .hasMessageContaining("Singleton.wireTypes()");
    } finally {
      bare.close();
    }
    TestCluster noSupervisor = TestCluster.start(1, b -> b.wireTypes(Singleton.wireTypes()));
    try {
      assertThatThrownBy(() -> Singleton.builder("x", noSupervisor.node(0)))
          .hasMessageContaining("DistributedSupervisor.wireTypes()");
    } finally {
      noSupervisor.close();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
