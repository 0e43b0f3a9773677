package io.flock.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.NodeId;
import io.flock.supervisor.ChildRef;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The registry's promises on an in-JVM cluster (issue 17, first step: names). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistryTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private TestCluster cluster = TestCluster.start(0);
  private final List<Registry> registries = new ArrayList<>();
  private final List<List<RegistryEvent>> events = new ArrayList<>();

  private void start(int n, Duration callTimeout) {
    cluster = TestCluster.start(n, b -> b.wireTypes(Registry.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    for (int i = 0; i < n; i++) {
      List<RegistryEvent> seen = new CopyOnWriteArrayList<>();
      events.add(seen);
      registries.add(
          Registry.builder("names", cluster.node(i))
              .callTimeout(callTimeout)
              .listener(seen::add)
              .start());
    }
  }

  @AfterEach
  void stop() {
    registries.forEach(Registry::close);
    cluster.close();
  }

  private Registry reg(int i) {
    return registries.get(i);
  }

  private ChildRef childOn(int node, String id) {
    return new ChildRef(id, cluster.node(node).self(), 1);
  }

  private static RegistryException failure(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RegistryException r) {
        return r;
      }
      throw e;
    }
    throw new AssertionError("expected a failure");
  }

  /**
   * Found by NamePartitionIT (1 run in 3: 332 of 1,000 names gone from every node after a 2|3
   * heal): a node of the old minority, back as a new incarnation with quorum, still saw a majority
   * node down from its minority verdict (the link between them was slow to come back) and swept
   * that node's names as "of a node gone"; the removals replicated and the live names vanished
   * everywhere. A sweep now removes only the names of nodes gone for good (process ended, removed,
   * or downed with quorum and its lease lapsed by a quorum's reports).
   */
  @Test
  void aNodeBackFromTheMinorityDoesNotSweepTheNamesOfAMemberItStillCannotHear() {
    start(5, Duration.ofSeconds(5));
    for (int i = 0; i < 50; i++) {
      reg(0).register("kept-" + i, childOn(0, "c" + i)).join();
    }
    TestCluster.await(
        WAIT, () -> reg(3).count() == 50 && reg(4).count() == 50, "the minority-to-be sees all");
    NodeId n0 = cluster.node(0).self();
    cluster.partition(Set.of(3, 4));
    TestCluster.await(
        WAIT,
        () -> TestCluster.onCore(cluster.node(3), () -> cluster.node(3).isGoneNow(n0)),
        "n3 declared n0 down (without quorum)");
    for (int a : new int[] {3, 4}) { // heal every link but those between n0 and n3, n4
      for (int b : new int[] {1, 2}) {
        cluster.mend(a, b);
        cluster.mend(b, a);
      }
      cluster.mend(3, 4);
      cluster.mend(4, 3);
    }
    TestCluster.await(
        WAIT,
        () ->
            TestCluster.onCore(cluster.node(3), cluster.node(3)::hasQuorumNow)
                && TestCluster.onCore(cluster.node(4), cluster.node(4)::hasQuorumNow),
        "n3 and n4 back with quorum");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3); // 15 sweeps on n3 and n4
    while (System.nanoTime() < until) {
      assertThat(registries.stream().mapToInt(Registry::count).min().orElse(0))
          .as("names on the node that sees the fewest")
          .isEqualTo(50);
      sleepMillis(20);
    }
    cluster.heal();
    TestCluster.await(WAIT, cluster::converged, "healed");
    TestCluster.await(
        WAIT, () -> registries.stream().allMatch(r -> r.count() == 50), "every name everywhere");
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void aRegisteredNameIsFoundOnEveryNodeFromItsOwnReplica() {
    start(3, Duration.ofSeconds(5));
    for (int i = 0; i < 100; i++) {
      Registration r = reg(0).register("name-" + i, childOn(0, "c" + i), Map.of("k", "v")).join();
      assertThat(reg(0).lookup("name-" + i)).contains(r.ref()); // read-your-writes
    }
    TestCluster.await(
        WAIT,
        () -> registries.stream().allMatch(r -> r.count() == 100),
        "every node holds the 100 names");
    for (int i = 0; i < 3; i++) {
      assertThat(reg(i).lookup("name-7")).contains(childOn(0, "c7"));
      assertThat(reg(i).registration("name-7").orElseThrow().meta()).containsEntry("k", "v");
      assertThat(reg(i).keys(childOn(0, "c7"))).containsExactly("name-7");
    }
    assertThat(reg(1).select(r -> r.name().endsWith("9"))).hasSize(10);
    reg(1).unregister("name-7").join();
    TestCluster.await(
        WAIT, () -> reg(0).lookup("name-7").isEmpty() && reg(2).lookup("name-7").isEmpty(), "gone");
  }

  /** Horde #250: two registrations racing on one node both lost; here one wins, once. */
  @Test
  void twoRegistrationsOfOneNameRacingOnOneNodeOneWinsTheOtherIsToldTheOwner() {
    start(3, Duration.ofSeconds(5));
    CompletableFuture<Registration> a = reg(0).register("race", childOn(0, "a"));
    CompletableFuture<Registration> b = reg(0).register("race", childOn(0, "b"));
    CompletableFuture.allOf(a, b).handle((v, e) -> null).join();
    List<CompletableFuture<Registration>> both = List.of(a, b);
    assertThat(both.stream().filter(f -> !f.isCompletedExceptionally()).count()).isEqualTo(1);
    CompletableFuture<Registration> lost = a.isCompletedExceptionally() ? a : b;
    Registration won = (a.isCompletedExceptionally() ? b : a).join();
    RegistryException e = failure(lost);
    assertThat(e.reason()).isEqualTo(RegistryException.Reason.ALREADY_REGISTERED);
    assertThat(e.owner()).isEqualTo(won);
    // The same child may register again (for instance after it moved).
    assertThat(reg(0).register("race", won.ref()).join().ref()).isEqualTo(won.ref());
  }

  /**
   * Both sides of a partition register the same names for different children. After the heal every
   * node has the same owner for each, and the loser's node was told exactly once per name.
   */
  @Test
  void bothSidesOfAPartitionRegisterOneNameAfterTheHealOneOwnerAndTheLoserToldOnce() {
    // A 2|2 split: neither side holds quorum, so after the heal nobody is quarantined and both
    // sides' owners are live: a real conflict. Each side registers once it sees only itself.
    start(4, Duration.ofSeconds(5));
    cluster.partition(Set.of(0, 1));
    NodeId n0 = cluster.node(0).self();
    NodeId n2 = cluster.node(2).self();
    TestCluster.await(
        WAIT,
        () ->
            cluster.events(0).contains(new io.flock.membership.ClusterEvent.MemberDown(n2))
                && cluster.events(2).contains(new io.flock.membership.ClusterEvent.MemberDown(n0))
                && !seesMember(0, n2)
                && !seesMember(2, n0),
        "each side declared the other down");
    int n = 50;
    List<CompletableFuture<Registration>> writes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      writes.add(reg(0).register("both-" + i, childOn(0, "left-" + i)));
      writes.add(reg(2).register("both-" + i, childOn(2, "right-" + i)));
    }
    CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).join(); // each side: 2
    assertThat(reg(2).lookup("both-0")).contains(childOn(2, "right-0")); // read-your-writes
    cluster.heal();
    TestCluster.await(WAIT, cluster::converged, "healed");
    TestCluster.await(
        WAIT,
        () -> {
          for (int i = 0; i < n; i++) {
            Optional<ChildRef> first = reg(0).lookup("both-" + i);
            for (int k = 1; k < 4; k++) {
              if (first.isEmpty() || !first.equals(reg(k).lookup("both-" + i))) {
                return false;
              }
            }
          }
          return true;
        },
        "every node agrees on one owner per name");
    // By the order (equal generations and incarnations): the lower node name wins, n0.
    assertThat(reg(3).lookup("both-3")).contains(childOn(0, "left-3"));
    TestCluster.await(WAIT, () -> lost(2).size() == n, "n2 told of each lost name");
    assertThat(lost(2)).doesNotHaveDuplicates();
    for (int k : new int[] {0, 1, 3}) {
      assertThat(lost(k)).as("n" + k).isEmpty();
    }
  }

  /** Two nodes of a connected cluster register one name at once: one arbiter, one winner. */
  @Test
  void twoNodesRegisteringOneNameAtOnceMeetOnItsArbiterOneWins() {
    start(3, Duration.ofSeconds(5));
    for (int round = 0; round < 20; round++) {
      String name = "arb-" + round;
      CompletableFuture<Registration> a = reg(0).register(name, childOn(0, "a" + round));
      CompletableFuture<Registration> b = reg(1).register(name, childOn(1, "b" + round));
      CompletableFuture.allOf(a, b).handle((v, e) -> null).join();
      assertThat(java.util.stream.Stream.of(a, b).filter(f -> !f.isCompletedExceptionally()))
          .as(name)
          .hasSize(1);
    }
    assertThat(lost(0)).isEmpty();
    assertThat(lost(1)).isEmpty();
  }

  private List<NodeId> live(int node) {
    return CompletableFuture.supplyAsync(
            () -> cluster.node(node).liveMembersNow(), cluster.node(node).onCore())
        .join();
  }

  private boolean seesMember(int node, NodeId member) {
    return live(node).contains(member);
  }

  private List<String> lost(int node) {
    return events.get(node).stream()
        .filter(e -> e instanceof RegistryEvent.ConflictLost)
        .map(RegistryEvent::name)
        .toList();
  }

  /** Horde #203: keys of removed members linger. Here they go once the node is known gone. */
  @Test
  void theNamesOfANodeKnownGoneAreRemovedAndThoseOfAnUnreachableOneStay() {
    start(3, Duration.ofSeconds(5));
    for (int i = 0; i < 10; i++) {
      reg(1).register("n1-" + i, childOn(1, "c" + i)).join();
    }
    TestCluster.await(WAIT, () -> reg(0).count() == 10 && reg(2).count() == 10, "replicated");
    NodeId n1 = cluster.node(1).self();
    cluster.cut(1, 0); // n0 stops hearing n1 for a moment: unreachable, not gone
    cluster.cut(1, 2);
    TestCluster.await(
        WAIT,
        () ->
            cluster.node(0).members().join().stream()
                .anyMatch(m -> m.id().equals(n1) && !m.reachable()),
        "n1 unreachable for n0");
    assertThat(reg(0).count()).isEqualTo(10);
    cluster.heal();
    registries.get(1).close();
    cluster.kill(1);
    TestCluster.await(
        WAIT, () -> reg(0).count() == 0 && reg(2).count() == 0, "the dead node's names removed");
  }

  @Test
  @SuppressWarnings("NullAway") // passes null on purpose
  void badArgumentsAreRefusedWithTheParameterName() {
    start(1, Duration.ofSeconds(5));
    assertThatThrownBy(() -> reg(0).register("", childOn(0, "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(() -> reg(0).lookup(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("name");
    assertThat(failure(reg(0).unregister("nobody")).reason())
        .isEqualTo(RegistryException.Reason.NOT_FOUND);
    try (TestCluster plain = TestCluster.start(1)) {
      assertThatThrownBy(() -> Registry.builder("names", plain.node(0)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("Registry.wireTypes()");
    }
  }

  /**
   * Found by {@code RegistryProperties}: a registration waiting for this node's replica to show the
   * arbiter's write (read-your-writes) when the registry closed never completed: close stopped the
   * timer its next look was scheduled on, and the caller waited forever. Every call now ends when
   * the registry closes, with {@code STOPPED}.
   */
  @Test
  void aCallInFlightWhenTheRegistryClosesEndsWithStopped() throws Exception {
    start(3, Duration.ofSeconds(20));
    for (int i = 0; i < 3; i++) {
      // Only nodes holding their lease are live, and arbiters are chosen among the live.
      TestCluster.await(WAIT, cluster.node(i)::hasLease, "every node holds its lease");
    }
    List<NodeId> members =
        List.of(cluster.node(0).self(), cluster.node(1).self(), cluster.node(2).self());
    String name = null;
    for (int i = 0; name == null; i++) {
      String candidate = "held-back-" + i;
      if (!io.flock.supervisor.DistributionStrategy.Rendezvous.best(candidate, members)
          .orElseThrow()
          .equals(cluster.node(0).self())) {
        name = candidate;
      }
    }
    cluster.cutScope(1, 0, "registry.names"); // n0 never sees the arbiter's write
    cluster.cutScope(2, 0, "registry.names");
    CompletableFuture<Registration> call = reg(0).register(name, childOn(0, "c"));
    Thread.sleep(500);
    assertThat(call).isNotDone();
    reg(0).close();
    assertThat(failure(call.orTimeout(2, TimeUnit.SECONDS)).reason())
        .isEqualTo(RegistryException.Reason.STOPPED);
    cluster.healScopes();
  }
}
