package io.flock.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Names in the child spec (Elixir's {@code :via}) and name conflicts, on an in-JVM cluster. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NamedChildrenTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private TestCluster cluster = TestCluster.start(0);
  private final List<Registry> registries = new ArrayList<>();
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();

  private void start(int n) {
    start(n, io.flock.supervisor.DistributionStrategy.uniform());
  }

  /** Every name conflict a registry told of, on any node: "name loser-child-id". */
  private final List<String> notices = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Per child id, how many times a copy of it started and stopped. */
  private final java.util.Map<String, Integer> starts =
      new java.util.concurrent.ConcurrentHashMap<>();

  private void start(int n, io.flock.supervisor.DistributionStrategy strategy) {
    start(n, strategy, b -> {});
  }

  private void start(
      int n,
      io.flock.supervisor.DistributionStrategy strategy,
      java.util.function.Consumer<DistributedSupervisor.Builder> custom) {
    cluster =
        TestCluster.start(
            n, b -> b.wireTypes(Registry.wireTypes()).wireTypes(DistributedSupervisor.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    for (int i = 0; i < n; i++) {
      Registry r =
          Registry.builder("names", cluster.node(i))
              .callTimeout(Duration.ofMillis(500))
              .listener(
                  e -> {
                    if (e instanceof RegistryEvent.ConflictLost lost) {
                      notices.add(lost.loser().name() + " " + lost.loser().ref().id());
                    }
                  })
              .start();
      registries.add(r);
      DistributedSupervisor.Builder b =
          DistributedSupervisor.builder("workers", cluster.node(i))
              .factory("worker", spec -> ctx -> Thread.sleep(Long.MAX_VALUE))
              .factory(
                  "counted",
                  spec ->
                      ctx -> {
                        starts.merge(ctx.id(), 1, Integer::sum);
                        Thread.sleep(Long.MAX_VALUE);
                      })
              .strategy(strategy)
              .names(r);
      custom.accept(b);
      supervisors.add(b.start());
    }
  }

  /**
   * Starts a child of {@code factory} on each side of a 2|2 split (n0, n1 | n2, n3), splits, lets
   * each side declare the other down, registers "shared" for both, heals: returns {winner, loser}
   * by the registry's order.
   */
  private ChildRef[] conflictAcrossASplit(String prefix, String factory) {
    ChildRef a = null;
    ChildRef b = null;
    for (int i = 0; a == null || b == null; i++) {
      ChildRef r = supervisors.get(0).startChild(ChildSpec.of(prefix + i, factory)).join();
      int node = Integer.parseInt(r.node().name().substring(1));
      if (node < 2 && a == null) {
        a = r;
      } else if (node >= 2 && b == null) {
        b = r;
      }
    }
    ChildRef left = a;
    ChildRef right = b;
    int na = Integer.parseInt(left.node().name().substring(1));
    int nb = Integer.parseInt(right.node().name().substring(1));
    var downA = new io.flock.membership.ClusterEvent.MemberDown(cluster.node(nb).self());
    var downB = new io.flock.membership.ClusterEvent.MemberDown(cluster.node(na).self());
    cluster.partition(Set.of(0, 1));
    TestCluster.await(
        WAIT,
        () -> cluster.events(na).contains(downA) && cluster.events(nb).contains(downB),
        "each side declared the other down");
    registries.get(na).register("shared", left).join();
    registries.get(nb).register("shared", right).join();
    cluster.heal();
    ChildRef winner = left.node().name().compareTo(right.node().name()) < 0 ? left : right;
    ChildRef loser = winner.equals(left) ? right : left;
    return new ChildRef[] {winner, loser};
  }

  @AfterEach
  void stop() {
    supervisors.forEach(DistributedSupervisor::close);
    registries.forEach(Registry::close);
    cluster.close();
  }

  private boolean everywhere(String name, java.util.function.Predicate<Optional<ChildRef>> test) {
    for (int i = 0; i < registries.size(); i++) {
      if (!cluster.node(i).isClosed() && !test.test(registries.get(i).lookup(name))) {
        return false;
      }
    }
    return true;
  }

  @Test
  void aNamedChildHoldsItsNameMovesWithItAndLosesItWhenItEnds() {
    start(3);
    ChildRef first =
        supervisors.get(0).startChild(ChildSpec.of("svc", "worker").withName("billing")).join();
    TestCluster.await(
        WAIT, () -> everywhere("billing", o -> o.equals(Optional.of(first))), "named");
    int holder = Integer.parseInt(first.node().name().substring(1));
    supervisors.get(holder).close();
    cluster.kill(holder);
    TestCluster.await(
        WAIT,
        () ->
            everywhere(
                "billing",
                o ->
                    o.isPresent()
                        && o.get().generation() > first.generation()
                        && !o.get().node().equals(first.node())),
        "the name moved with the child");
    int survivor = holder == 0 ? 1 : 0;
    supervisors.get(survivor).terminateChild("svc").join();
    TestCluster.await(WAIT, () -> everywhere("billing", Optional::isEmpty), "the name is gone");
  }

  /**
   * Both sides of a 2|2 split register one name for different children (quorum strategy: no side
   * holds quorum, so nothing is claimed and nobody is quarantined); after the heal the loser (by
   * the registry's order) is stopped for good, the winner keeps the name.
   */
  @Test
  void aChildThatLosesANameConflictIsStopped() {
    start(4, io.flock.supervisor.DistributionStrategy.uniformQuorum());
    ChildRef[] pair = conflictAcrossASplit("c", "worker");
    ChildRef winner = pair[0];
    ChildRef loser = pair[1];
    TestCluster.await(
        WAIT, () -> everywhere("shared", o -> o.equals(Optional.of(winner))), "one owner");
    TestCluster.await(
        WAIT,
        () ->
            supervisors.get(0).whichChildren().join().stream()
                .noneMatch(r -> r.id().equals(loser.id())),
        "the loser stopped for good");
    assertThat(supervisors.get(0).whichChildren().join())
        .extracting(ChildRef::id)
        .contains(winner.id());
  }

  /** What the hand-off children received: "receiver-id <- message". */
  private final List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Issue 17 (elixir-horde #161: users want the loser to hand its state to the winner): with a
   * hand-off window, the loser finds {@code NameLost} in its mailbox, tells the winner its state,
   * and only then is stopped for good; the winner keeps the name and runs on.
   */
  @Test
  void aLoserWithAHandOffWindowHandsItsStateToTheWinnerBeforeItStops() {
    start(
        4,
        io.flock.supervisor.DistributionStrategy.uniformQuorum(),
        b ->
            b.nameConflictHandOff(Duration.ofSeconds(2))
                .factory(
                    "stateful",
                    spec ->
                        ctx -> {
                          while (true) {
                            io.flock.supervisor.Envelope e = ctx.receive(Duration.ofMillis(50));
                            if (e == null) {
                              continue;
                            }
                            received.add(ctx.id() + " <- " + e.message());
                            if (e.message() instanceof io.flock.supervisor.NameLost lost) {
                              int self = Integer.parseInt(ctx.node().substring(1));
                              var unused =
                                  supervisors
                                      .get(self)
                                      .messenger()
                                      .tell(lost.winner(), "state of " + ctx.id());
                            }
                          }
                        }));
    ChildRef[] pair = conflictAcrossASplit("s", "stateful");
    ChildRef winner = pair[0];
    ChildRef loser = pair[1];
    TestCluster.await(
        WAIT,
        () -> received.contains(winner.id() + " <- state of " + loser.id()),
        "the winner received the loser's state");
    assertThat(received)
        .contains(loser.id() + " <- " + new io.flock.supervisor.NameLost("shared", winner));
    TestCluster.await(
        WAIT,
        () ->
            supervisors.get(0).whichChildren().join().stream()
                .noneMatch(r -> r.id().equals(loser.id())),
        "the loser stopped for good after the window");
    assertThat(supervisors.get(0).whichChildren().join())
        .extracting(ChildRef::id)
        .contains(winner.id());
    assertThat(registries.get(0).lookup("shared")).contains(winner);
  }

  /**
   * Issue 17, found by this scenario: both sides of a 2|3 split register the same names for their
   * own children (the minority cannot start children, but its registry answers for itself). After
   * the heal the minority is told it is down and rejoins as new incarnations, so its registrations
   * die with the old ones; but where one of them had won the merge, the majority's child was told
   * it lost (and was stopped for good), then the sweep removed the dead winner: 14 of 50 majority
   * children were stopped and most names had no owner at all (Horde #186, a name vanishing after a
   * heal). Now a registration that loses to one owned by a node known gone is kept: every name ends
   * with the majority's child, everywhere, and every majority child still runs.
   */
  @Test
  void afterA2To3SplitInWhichBothSidesNamedTheirChildrenTheMajoritysNamesAndChildrenStay() {
    start(5);
    int n = 50;
    List<ChildRef> left = new ArrayList<>();
    List<ChildRef> right = new ArrayList<>();
    for (int i = 0; left.size() < n || right.size() < n; i++) {
      ChildRef r = supervisors.get(2).startChild(ChildSpec.of("c" + i, "counted")).join();
      int node = Integer.parseInt(r.node().name().substring(1));
      if (node < 2 && left.size() < n) {
        left.add(r);
      } else if (node >= 2 && right.size() < n) {
        right.add(r);
      } else {
        supervisors.get(2).terminateChild(r.id()).join();
      }
    }
    cluster.partition(Set.of(0, 1));
    var n0 = cluster.node(0).self();
    var n2 = cluster.node(2).self();
    TestCluster.await(
        WAIT,
        () ->
            cluster.events(0).contains(new io.flock.membership.ClusterEvent.MemberDown(n2))
                && cluster.events(2).contains(new io.flock.membership.ClusterEvent.MemberDown(n0)),
        "each side declared the other down");
    List<java.util.concurrent.CompletableFuture<Registration>> writes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ChildRef a = left.get(i);
      ChildRef b = right.get(i);
      writes.add(registries.get(index(a)).register("name-" + i, a));
      writes.add(registries.get(index(b)).register("name-" + i, b));
    }
    writes.forEach(java.util.concurrent.CompletableFuture::join);
    cluster.heal();
    TestCluster.await(
        Duration.ofSeconds(60),
        () -> {
          for (int i = 0; i < n; i++) {
            ChildRef b = right.get(i);
            if (!everywhere("name-" + i, o -> o.equals(Optional.of(b)))) {
              return false;
            }
          }
          return true;
        },
        "every name with the majority's child, on every node");
    assertThat(notices).doesNotHaveDuplicates();
    List<String> ids =
        supervisors.get(2).whichChildren().join().stream().map(ChildRef::id).toList();
    assertThat(ids).containsAll(right.stream().map(ChildRef::id).toList());
    for (ChildRef b : right) {
      assertThat(starts.get(b.id())).as("%s started once, never stopped", b.id()).isEqualTo(1);
    }
  }

  private static int index(ChildRef r) {
    return Integer.parseInt(r.node().name().substring(1));
  }
}
