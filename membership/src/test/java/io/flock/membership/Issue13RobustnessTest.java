package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.testkit.TestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Regression tests for the findings of the membership rebuild (issue 13), each named after it. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class Issue13RobustnessTest {
  static {
    NettyLeaks.install();
  }

  private static final Duration WAIT = Duration.ofSeconds(20);

  /** A value the wire cannot encode: not registered in any WireTypes. */
  record Unregistered(String text) {}

  /** A user type, registered in the user range. */
  record Order(String id, long cents) {}

  private static ClusterBuilder node(String name) {
    return Cluster.builder("test", name).secret(TestCluster.secret());
  }

  @Test
  void unregisteredValuePutIntoAScopeFailsThatPutAndTheLinkStaysUp() {
    TestCluster.run(
        2,
        c -> {
          TestCluster.await(WAIT, c::converged, "2 nodes up");
          Scope<String, Object> s0 = c.node(0).scope("mixed");
          Scope<String, Object> s1 = c.node(1).scope("mixed");
          assertThatThrownBy(() -> s0.put("bad", new Unregistered("x")).join())
              .hasCauseInstanceOf(IllegalArgumentException.class)
              .hasMessageContaining(Unregistered.class.getName())
              .hasMessageContaining("not registered");
          assertThat(s0.get("bad").join()).isNull(); // nothing was written
          s0.put("good", "fine").join();
          TestCluster.await(WAIT, () -> "fine".equals(s1.get("good").join()), "good replicates");
          // The link never flapped: no reachability verdict changed on either side.
          for (int i = 0; i < 2; i++) {
            assertThat(c.events(i))
                .noneMatch(
                    e ->
                        e instanceof ClusterEvent.Unreachable
                            || e instanceof ClusterEvent.MemberDown);
          }
        });
  }

  @Test
  void userTypeRegisteredAtAFlockIdIsRefusedAtStartNamingTheId() {
    WireTypes clash = WireTypes.builder("app").add(300, Order.class).build();
    assertThatThrownBy(() -> node("clash").wireTypes(clash).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id 300")
        .hasMessageContaining("outside user [1000..");
  }

  @Test
  void userTypesInTheUserRangeTravelInScopes() {
    WireTypes app = WireTypes.builder("app").add(1000, Order.class).build();
    try (TestCluster c = TestCluster.start(2, b -> b.wireTypes(app))) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(0).<String, Order>scope("orders").put("o1", new Order("o1", 250)).join();
      Scope<String, Order> s1 = c.node(1).scope("orders");
      TestCluster.await(
          WAIT, () -> new Order("o1", 250).equals(s1.get("o1").join()), "order replicated");
    }
  }

  @Test
  void nodeWithoutTheClustersWireTypesIsRefusedAtTheHandshakeNotAdmitted() {
    WireTypes app = WireTypes.builder("app").add(1000, Order.class).build();
    try (TestCluster c = TestCluster.start(1, b -> b.wireTypes(app));
        Cluster stranger = node("forgetful").seeds(List.of(c.node(0).self().address())).start()) {
      TestCluster.await(
          WAIT,
          () ->
              c.node(0).status().join().members().size() == 1
                  && c.node(0).metrics() != null
                  && refused(c.node(0)) > 0,
          "n0 refused the node without the 'app' types");
      assertThat(stranger.members().join())
          .extracting(m -> m.id().name())
          .containsOnly("forgetful");
      assertThat(c.node(0).members().join()).extracting(m -> m.id().name()).containsOnly("n0");
    }
  }

  private static double refused(Cluster node) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    node.metrics().bindTo(registry);
    return registry.get("flock.transport.refused").functionCounter().count();
  }

  @Test
  void callsOnAClosedNodeFailAtOnce() {
    Cluster n = node("closing").start();
    n.close();
    List<CompletableFuture<?>> calls =
        List.of(
            n.awaitQuorum(Duration.ofMinutes(1)),
            n.awaitMembers(1, Duration.ofMinutes(1)),
            n.leave(Duration.ofMinutes(1)),
            n.members(),
            n.hasQuorum(),
            n.status(),
            n.scope("s").put("k", "v"));
    for (CompletableFuture<?> f : calls) {
      assertThat(f).isCompletedExceptionally();
      assertThatThrownBy(f::join).hasCauseInstanceOf(ClusterClosedException.class);
    }
  }

  @Test
  void callsWaitingWhenTheNodeClosesFailWithClosed() {
    Cluster n = node("waiting").quorumSize(3).start(); // alone, it can never have quorum
    CompletableFuture<Void> quorum = n.awaitQuorum(Duration.ofMinutes(5));
    CompletableFuture<Void> members = n.awaitMembers(2, Duration.ofMinutes(5));
    assertThat(quorum).isNotDone();
    n.close();
    for (CompletableFuture<Void> f : List.of(quorum, members)) {
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ClusterClosedException.class);
    }
  }

  @Test
  void startOnAPortInUseThrowsFlocksExceptionNamingTheAddressAndLeaksNoThread() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> node("clash").bind("127.0.0.1", port).start())
            .isInstanceOf(FlockException.class)
            .hasMessageContaining("127.0.0.1:" + port);
      }
      TestCluster.await(
          Duration.ofSeconds(10),
          () ->
              Thread.getAllStackTraces().keySet().stream()
                  .noneMatch(
                      t -> t.getName().endsWith("-clash") || t.getName().contains("-clash-")),
          "no thread of the failed starts is left");
    }
  }

  @Test
  void builderChecksTheFailureDetectionTimingsAgainstEachOther() {
    assertThatThrownBy(
            () ->
                node("x")
                    .failureDetection(
                        Duration.ofSeconds(5), Duration.ofSeconds(6), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unreachable")
        .hasMessageContaining("down");
    assertThatThrownBy(
            () ->
                node("x")
                    .failureDetection(
                        Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heartbeat");
    assertThatThrownBy(() -> Cluster.builder("test", "   "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nodeName");
    assertThatThrownBy(() -> node("x").secret(new byte[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("secret");
    assertThatThrownBy(() -> node("x").gossipInterval(Duration.ofSeconds(5)).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("gossipInterval");
    assertThatThrownBy(() -> node("x").bind("127.0.0.1", 70_000)).hasMessageContaining("port");
  }

  @Test
  void defaultIncarnationNeverGoesBackwardsWhenTheWallClockStepsBack() {
    long first = ClusterBuilder.nextIncarnation(5_000_000_000_000L);
    long afterStepBack = ClusterBuilder.nextIncarnation(4_000_000_000_000L);
    assertThat(afterStepBack).isGreaterThan(first);
  }

  @Test
  void anErrorOnTheCoreClosesTheNodeInsteadOfLeavingItHalfAlive() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      Scope<String, String> s0 = c.node(0).scope("fatal");
      s0.subscribe(
          changes -> {
            throw new StackOverflowError("listener recursed");
          });
      c.node(1).<String, String>scope("fatal").put("k", "v").join(); // arrives on n0's core
      TestCluster.await(WAIT, c.node(0)::isClosed, "n0 closed itself after the Error");
      assertThatThrownBy(() -> c.node(0).members().join())
          .hasCauseInstanceOf(ClusterClosedException.class);
      NodeId n0 = c.node(0).self();
      TestCluster.await(
          WAIT,
          () -> c.events(1).contains(new ClusterEvent.MemberDown(n0)),
          "n1 sees n0 down, not half-alive");
    }
  }

  @Test
  void nodesSharingOneRegistryHaveTheirOwnMetersTaggedByNode() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      c.node(0).metrics().bindTo(registry);
      c.node(1).metrics().bindTo(registry);
      assertThat(registry.find("flock.quorum").gauges()).hasSize(2);
      assertThat(registry.find("flock.transport.bytes").tag("node", "n0").functionCounters())
          .hasSize(2);
      TestCluster.await(
          WAIT,
          () ->
              registry.get("flock.members").tags("node", "n1", "status", "UP").gauge().value() == 2
                  && registry.get("flock.quorum").tag("node", "n0").gauge().value() == 1,
          "gauges show each node's own view");
      double sent0 =
          registry
              .get("flock.transport.bytes")
              .tags("node", "n0", "direction", "sent")
              .functionCounter()
              .count();
      // The counter reads the transport's own count (traffic goes on meanwhile).
      assertThat(sent0).isPositive().isLessThanOrEqualTo((double) c.node(0).bytesSent());
    }
  }

  @Test
  void aGracefulLeaveDoesNotReportTheLeaversPeersUnreachable() {
    TestCluster.run(
        3,
        c -> {
          TestCluster.await(WAIT, c::converged, "3 nodes up");
          int before = c.events(2).size();
          c.leave(2);
          List<ClusterEvent> during = c.events(2).subList(before, c.events(2).size());
          assertThat(during).noneMatch(e -> e instanceof ClusterEvent.Unreachable);
        });
  }

  @Test
  void awaitMembersCompletesWhenEnoughMembersAreUp() {
    TestCluster.run(
        3,
        c -> {
          c.node(0).awaitMembers(3, WAIT).join();
          assertThat(c.node(0).members().join())
              .filteredOn(m -> m.status() == MemberStatus.UP)
              .hasSize(3);
          assertThatThrownBy(() -> c.node(0).awaitMembers(4, Duration.ofMillis(200)).join())
              .isInstanceOf(CompletionException.class)
              .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
        });
  }
}
