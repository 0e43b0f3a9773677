package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Regression tests for "you are down" (issue 14): an incarnation the others declared down while
 * they held quorum is quarantined, told so, stops its work at once and rejoins as a new
 * incarnation; a verdict made without quorum quarantines nobody.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Issue14RejoinTest {
  static {
    NettyLeaks.install();
  }

  private static final Duration WAIT = Duration.ofSeconds(20);

  /** The incarnation of {@code name} in {@code c}'s view, or -1. */
  private static long incarnationSeenBy(Cluster c, String name) {
    for (Member m : c.members().join()) {
      if (m.id().name().equals(name)) {
        return m.id().incarnation();
      }
    }
    return -1;
  }

  private static boolean upIn(Cluster c, NodeId id) {
    return c.members().join().stream()
        .anyMatch(m -> m.id().equals(id) && m.status() == MemberStatus.UP && m.reachable());
  }

  @Test
  void oneWayLossTheOthersDeclaredANodeDownItIsToldSoAfterTheHealAndRejoinsAsANewIncarnation() {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      TestCluster.await(WAIT, c.node(2)::hasLease, "n2 holds its lease");
      NodeId old = c.node(2).self();
      AtomicLong fencedAt = new AtomicLong();
      c.node(2).onLeaseLost(() -> fencedAt.compareAndSet(0, System.nanoTime()));
      c.cut(2, 0); // n2 still hears n0 and n1; they no longer hear n2
      c.cut(2, 1);
      TestCluster.await(
          WAIT,
          () ->
              c.events(0).contains(new ClusterEvent.MemberDown(old))
                  && c.events(1).contains(new ClusterEvent.MemberDown(old)),
          "n0 and n1 declare n2 down");
      c.heal();
      TestCluster.await(
          WAIT, () -> c.node(2).self().incarnation() > old.incarnation(), "n2 rejoins as new");
      NodeId next = c.node(2).self();
      // Events reach listeners after self() changed: wait for it rather than race it.
      TestCluster.await(
          WAIT,
          () -> c.events(2).contains(new ClusterEvent.Reincarnated(old, next)),
          "n2 is told it reincarnated");
      assertThat(fencedAt.get()).as("the old incarnation's fences ran").isNotZero();
      TestCluster.await(
          WAIT, () -> upIn(c.node(0), next) && upIn(c.node(1), next), "the new incarnation is up");
      TestCluster.await(WAIT, c.node(2)::hasLease, "the new incarnation holds a lease");
      // The old incarnation was never revived by the others, and the majority kept its own.
      for (int i = 0; i < 2; i++) {
        assertThat(c.events(i)).doesNotContain(new ClusterEvent.Reachable(old));
        assertThat(c.events(i)).noneMatch(e -> e instanceof ClusterEvent.Reincarnated);
        assertThat(incarnationSeenBy(c.node(i), "n2")).isEqualTo(next.incarnation());
      }
      // Whoever told n2 heard its old incarnation again: that verdict was false.
      assertThat(c.node(0).falseDowns() + c.node(1).falseDowns()).isPositive();
      TestCluster.await(WAIT, c::converged, "converged again");
    }
  }

  /**
   * Found by the registry's jqwik property: a node told it is down rejoins through its seeds only;
   * when its one seed had restarted at another address meanwhile, the new incarnation stayed
   * JOINING for good (no quorum, no lease), although it heard every live member. A rejoining node
   * now also asks the members it knows.
   */
  @Test
  void aNodeToldItIsDownRejoinsThroughTheMembersItKnowsWhenItsSeedsMoved() {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      c.restart(0); // n1's one seed is n0's old address
      TestCluster.await(WAIT, c::converged, "n0 back at a new address");
      NodeId old = c.node(1).self();
      c.cut(1, 0);
      c.cut(1, 2);
      TestCluster.await(
          WAIT,
          () ->
              c.events(0).contains(new ClusterEvent.MemberDown(old))
                  && c.events(2).contains(new ClusterEvent.MemberDown(old)),
          "n0 and n2 declare n1 down");
      c.heal();
      TestCluster.await(
          WAIT, () -> c.node(1).self().incarnation() > old.incarnation(), "n1 rejoins as new");
      NodeId next = c.node(1).self();
      TestCluster.await(
          WAIT, () -> upIn(c.node(0), next) && upIn(c.node(2), next), "the new incarnation is up");
      TestCluster.await(WAIT, c.node(1)::hasLease, "the new incarnation holds a lease");
      TestCluster.await(WAIT, c::converged, "converged again");
    }
  }

  @Test
  void aStalledNodeTheOthersDeclaredDownRejoinsAsANewIncarnationWhenItWakes() {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      NodeId old = c.node(1).self();
      c.pause(1, Duration.ofSeconds(3)); // longer than the 1.8 s down timeout
      TestCluster.await(
          WAIT, () -> c.events(0).contains(new ClusterEvent.MemberDown(old)), "n1 declared down");
      TestCluster.await(
          WAIT, () -> c.node(1).self().incarnation() > old.incarnation(), "n1 rejoins as new");
      NodeId next = c.node(1).self();
      TestCluster.await(WAIT, () -> upIn(c.node(0), next), "n0 sees the new incarnation up");
      assertThat(c.events(0)).doesNotContain(new ClusterEvent.Reachable(old));
      TestCluster.await(WAIT, c::converged, "converged again");
    }
  }

  @Test
  void anOperatorRemovedALiveNodeItIsToldAndRejoinsAsANewIncarnation() {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      NodeId old = c.node(2).self();
      c.node(0).remove(old).join();
      TestCluster.await(
          WAIT,
          () -> c.events(2).contains(new ClusterEvent.MemberRemoved(old)),
          "n2 is told it was removed");
      TestCluster.await(
          WAIT, () -> c.node(2).self().incarnation() > old.incarnation(), "n2 rejoins as new");
      NodeId next = c.node(2).self();
      TestCluster.await(WAIT, () -> upIn(c.node(0), next), "n0 sees the new incarnation up");
      TestCluster.await(WAIT, c.node(2)::hasLease, "the new incarnation holds a lease");
      TestCluster.await(WAIT, c::converged, "converged again");
    }
  }

  /**
   * A node that leaves says in its LEFT record whether its services handed their work over, so the
   * others (and a node that joined meanwhile) wait for the hand-over instead of claiming.
   */
  @Test
  void aGracefulLeaveSaysWhetherTheServicesHandedTheirWorkOver() {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      NodeId clean = c.node(1).self();
      NodeId failed = c.node(2).self();
      c.node(2)
          .register(
              new Cluster.Service() {
                @Override
                public java.util.concurrent.CompletableFuture<Void> stop(Duration timeout) {
                  return java.util.concurrent.CompletableFuture.failedFuture(
                      new IllegalStateException("could not hand over"));
                }

                @Override
                public void close() {}
              });
      c.leave(1);
      c.leave(2);
      TestCluster.await(
          WAIT,
          () ->
              c.events(0).contains(new ClusterEvent.MemberLeft(clean))
                  && c.events(0).contains(new ClusterEvent.MemberLeft(failed)),
          "both left");
      assertThat(TestCluster.onCore(c.node(0), () -> c.node(0).leftGracefullyNow(clean))).isTrue();
      assertThat(TestCluster.onCore(c.node(0), () -> c.node(0).leftGracefullyNow(failed)))
          .isFalse();
      assertThat(TestCluster.onCore(c.node(0), () -> c.node(0).leftGracefullyNow(c.node(0).self())))
          .isFalse();
    }
  }

  @Test
  void anEvenSplitQuarantinesNobodyEverySideKeepsItsIncarnationAfterTheHeal() {
    try (TestCluster c = TestCluster.start(4)) {
      TestCluster.await(WAIT, c::converged, "4 nodes up");
      List<NodeId> before = List.of(c.node(0).self(), c.node(1).self(), c.node(2).self());
      NodeId n3 = c.node(3).self();
      c.partition(Set.of(0, 1)); // 2 of 4 on each side: neither holds quorum
      TestCluster.await(
          WAIT,
          () ->
              c.events(0).contains(new ClusterEvent.MemberDown(n3))
                  && c.events(3).contains(new ClusterEvent.MemberDown(before.get(0))),
          "each side declares the other down");
      c.heal();
      TestCluster.await(WAIT, c::converged, "the sides merge");
      for (int i = 0; i < 3; i++) {
        assertThat(c.node(i).self()).isEqualTo(before.get(i));
        assertThat(c.events(i)).noneMatch(e -> e instanceof ClusterEvent.Reincarnated);
      }
      assertThat(c.node(3).self()).isEqualTo(n3);
    }
  }

  @Test
  void aMinorityThatDeclaredTheMajorityDownTellsNobodyOnlyTheMinorityRejoins() {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      NodeId n0 = c.node(0).self();
      NodeId n1 = c.node(1).self();
      NodeId old = c.node(2).self();
      c.partition(Set.of(2));
      TestCluster.await(
          WAIT,
          () ->
              c.events(2).contains(new ClusterEvent.MemberDown(n0))
                  && c.events(0).contains(new ClusterEvent.MemberDown(old)),
          "both sides declare the other down");
      c.heal();
      TestCluster.await(
          WAIT, () -> c.node(2).self().incarnation() > old.incarnation(), "n2 rejoins as new");
      TestCluster.await(WAIT, c::converged, "converged again");
      assertThat(c.node(0).self()).isEqualTo(n0);
      assertThat(c.node(1).self()).isEqualTo(n1);
    }
  }
}
