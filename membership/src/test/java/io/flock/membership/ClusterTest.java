package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.testkit.TestCluster;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClusterTest {
  static {
    NettyLeaks.install();
  }

  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void nodesJoinThroughSeedsAndReplicateScopes() {
    TestCluster.run(
        3,
        c -> {
          TestCluster.await(WAIT, c::converged, "3 nodes see each other up");
          for (int i = 0; i < 3; i++) {
            assertThat(c.node(i).hasQuorum().join()).isTrue();
          }
          Scope<String, String> s0 = c.node(0).scope("demo");
          Scope<String, String> s2 = c.node(2).scope("demo");
          s2.put("k", "from-n2").join();
          TestCluster.await(WAIT, () -> "from-n2".equals(s0.get("k").join()), "write replicated");
          s0.remove("k").join();
          TestCluster.await(WAIT, () -> s2.get("k").join() == null, "remove replicated");
        });
  }

  @Test
  void nodesJoinThroughADnsStyleResolverWithSeveralAddresses() {
    try (TestCluster c = TestCluster.start(1)) {
      InetSocketAddress seed =
          new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), c.node(0).self().port());
      InetSocketAddress dead = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 1);
      Cluster joiner =
          Cluster.builder("test", "dns-joiner")
              .secret(TestCluster.secret())
              .seeds(() -> List.of(dead, seed))
              .start();
      try {
        TestCluster.await(
            WAIT,
            () -> joiner.members().join().stream().anyMatch(m -> m.id().name().equals("n0")),
            "joined through the resolver");
      } finally {
        joiner.close();
      }
    }
  }

  @Test
  void crashedNodeIsDeclaredDown() {
    TestCluster.run(
        5,
        c -> {
          TestCluster.await(WAIT, c::converged, "5 nodes up");
          NodeId victim = c.node(4).self();
          c.kill(4);
          for (int i = 0; i < 4; i++) {
            int n = i;
            TestCluster.await(
                WAIT,
                () -> c.events(n).contains(new ClusterEvent.MemberDown(victim)),
                "node " + n + " declares n4 down");
            assertThat(c.node(i).hasQuorum().join()).isTrue();
          }
        });
  }

  @Test
  void gracefulLeaveIsNeverADown() {
    TestCluster.run(
        3,
        c -> {
          TestCluster.await(WAIT, c::converged, "3 nodes up");
          NodeId leaver = c.node(2).self();
          c.leave(2);
          for (int i = 0; i < 2; i++) {
            int n = i;
            TestCluster.await(
                WAIT,
                () -> c.events(n).contains(new ClusterEvent.MemberLeft(leaver)),
                "node " + n + " sees n2 leave");
          }
          // Past the down timeout, still no down for the node that left.
          sleep(Duration.ofMillis(2_500));
          for (int i = 0; i < 2; i++) {
            assertThat(c.events(i)).doesNotContain(new ClusterEvent.MemberDown(leaver));
            assertThat(c.node(i).members().join()).noneMatch(m -> m.id().equals(leaver));
          }
          // Quorum is counted among those who did not leave: 2 of 2.
          assertThat(c.node(0).hasQuorum().join()).isTrue();
        });
  }

  @Test
  void partitionLosesQuorumOnTheMinorityAndHeals() {
    TestCluster.run(
        5,
        c -> {
          TestCluster.await(WAIT, c::converged, "5 nodes up");
          c.partition(Set.of(0, 1));
          for (int i : new int[] {0, 1}) {
            TestCluster.await(
                WAIT, () -> !c.node(i).hasQuorum().join(), "minority n" + i + " loses quorum");
            assertThat(c.events(i)).anyMatch(e -> e instanceof ClusterEvent.QuorumLost);
          }
          for (int i : new int[] {2, 3, 4}) {
            TestCluster.await(
                WAIT,
                () ->
                    c.node(i).members().join().stream()
                        .filter(m -> m.id().name().equals("n0"))
                        .anyMatch(m -> m.status() == MemberStatus.DOWN),
                "majority n" + i + " sees n0 down");
            assertThat(c.node(i).hasQuorum().join()).isTrue();
          }
          c.heal();
          TestCluster.await(WAIT, c::converged, "views re-merge after heal");
          for (int i : new int[] {0, 1}) {
            TestCluster.await(
                WAIT, () -> c.node(i).hasQuorum().join(), "n" + i + " regains quorum");
            assertThat(c.events(i)).anyMatch(e -> e instanceof ClusterEvent.QuorumGained);
          }
        });
  }

  @Test
  void aOneSecondPauseIsNotADown() {
    TestCluster.run(
        3,
        c -> {
          TestCluster.await(WAIT, c::converged, "3 nodes up");
          NodeId paused = c.node(1).self();
          c.pause(1, Duration.ofSeconds(1));
          sleep(Duration.ofSeconds(3));
          for (int i : new int[] {0, 2}) {
            assertThat(c.events(i)).doesNotContain(new ClusterEvent.MemberDown(paused));
          }
          TestCluster.await(WAIT, c::converged, "all reachable again");
        });
  }

  /** A node that was itself stalled does not declare the others down when it wakes. */
  @Test
  void aStalledNodeBlamesNobodyForItsOwnSilence() {
    TestCluster.run(
        3,
        c -> {
          TestCluster.await(WAIT, c::converged, "3 nodes up");
          int before = c.events(1).size();
          c.pause(1, Duration.ofSeconds(3));
          sleep(Duration.ofSeconds(4));
          List<ClusterEvent> after = c.events(1).subList(before, c.events(1).size());
          assertThat(after).noneMatch(e -> e instanceof ClusterEvent.MemberDown);
          TestCluster.await(WAIT, c::converged, "all up");
        });
  }

  @Test
  void restartedNodeIsANewIncarnationThatReplacesTheOld() {
    TestCluster.run(
        3,
        c -> {
          TestCluster.await(WAIT, c::converged, "3 nodes up");
          Scope<String, String> s0 = c.node(0).scope("data");
          c.node(2).<String, String>scope("data").put("before", "old-life").join();
          TestCluster.await(WAIT, () -> "old-life".equals(s0.get("before").join()), "replicated");
          NodeId old = c.node(2).self();
          Cluster fresh = c.restart(2);
          assertThat(fresh.self().incarnation()).isGreaterThan(old.incarnation());
          assertThat(fresh.self().replicaId()).isNotEqualTo(old.replicaId());
          TestCluster.await(WAIT, c::converged, "the new incarnation replaces the old");
          Scope<String, String> s2 = fresh.scope("data");
          TestCluster.await(WAIT, () -> "old-life".equals(s2.get("before").join()), "caught up");
          s2.put("after", "new-life").join();
          TestCluster.await(
              WAIT, () -> "new-life".equals(s0.get("after").join()), "new writes flow");
          for (int i = 0; i < 2; i++) {
            assertThat(c.node(i).members().join()).noneMatch(m -> m.id().equals(old));
          }
        });
  }

  @Test
  void explicitMembersSetFromAnyNodeDriveQuorumAndEligibility() {
    TestCluster.run(
        4,
        c -> {
          TestCluster.await(WAIT, c::converged, "4 nodes up");
          c.node(3).setMembers(Set.of("n0", "n1", "n2")).join();
          for (int i = 0; i < 4; i++) {
            int n = i;
            TestCluster.await(
                WAIT,
                () ->
                    c.node(n).status().join().members().size() == 4
                        && liveNames(c.node(n)).equals(Set.of("n0", "n1", "n2")),
                "node " + n + " sees the explicit set");
          }
          c.kill(1);
          c.kill(2);
          TestCluster.await(
              WAIT, () -> !c.node(0).hasQuorum().join(), "1 of 3 expected is no quorum");
        });
  }

  private static Set<String> liveNames(Cluster node) {
    java.util.concurrent.CompletableFuture<Set<String>> names =
        new java.util.concurrent.CompletableFuture<>();
    node.onCore()
        .execute(
            () ->
                names.complete(
                    node.liveMembersNow().stream()
                        .map(NodeId::name)
                        .collect(java.util.stream.Collectors.toSet())));
    return names.join();
  }

  @Test
  void throwingListenerIsContainedAndEventsStayOrdered() {
    try (TestCluster c =
        TestCluster.start(
            2,
            b ->
                b.listener(
                    e -> {
                      throw new IllegalStateException("listener bug");
                    }))) {
      TestCluster.await(WAIT, c::converged, "2 nodes up despite the listener");
      List<ClusterEvent> events = c.events(0);
      assertThat(events.get(0)).isInstanceOf(ClusterEvent.QuorumGained.class);
    }
  }

  @Test
  void builderNamesTheBadSetting() {
    assertThatThrownBy(() -> Cluster.builder("", "n")).hasMessageContaining("clusterName");
    assertThatThrownBy(() -> Cluster.builder("c", "n").secret(new byte[3]))
        .hasMessageContaining("secret");
    assertThatThrownBy(() -> Cluster.builder("c", "n").bind("127.0.0.1", 70_000))
        .hasMessageContaining("port");
    assertThatThrownBy(() -> Cluster.builder("c", "n").start()).hasMessageContaining("secret");
    assertThatThrownBy(() -> SeedResolver.of(List.of("nohostport")))
        .hasMessageContaining("nohostport");
    assertThatThrownBy(() -> MemberStatus.LEFT.moveTo(MemberStatus.UP))
        .hasMessageContaining("LEFT -> UP");
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
