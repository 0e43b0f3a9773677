package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.Cluster;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DistributedSupervisorTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Ledger ledger = new Ledger();
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);

  private void start(int n, Consumer<DistributedSupervisor.Builder> custom) {
    cluster = TestCluster.start(n, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    for (int i = 0; i < n; i++) {
      supervisors.add(null);
      boot(i, custom);
    }
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
  }

  private DistributedSupervisor boot(int i, Consumer<DistributedSupervisor.Builder> custom) {
    DistributedSupervisor.Builder b =
        DistributedSupervisor.builder("workers", cluster.node(i))
            .factory("worker", ledger.factory());
    custom.accept(b);
    DistributedSupervisor s = b.start();
    supervisors.set(i, s);
    return s;
  }

  /** Crashes node {@code i}: its children stop (this JVM) and the others see it fail. */
  private void kill(int i) {
    supervisors.get(i).close();
    cluster.kill(i);
  }

  private DistributedSupervisor sup(int i) {
    return supervisors.get(i);
  }

  @AfterEach
  void stopAll() {
    for (DistributedSupervisor s : supervisors) {
      if (s != null) {
        s.close();
      }
    }
    cluster.close();
  }

  /**
   * The listener hears the cluster, not only its own node: n2's listener sees a child placed from
   * n0, claimed when its node crashed, and ended (the rest of the mapping: PlacementEventsTest).
   */
  @Test
  void listenersHearClusterWideEventsPlacedMovedAndEnded() {
    java.util.List<SupervisorEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    start(3, b -> {});
    sup(2).close();
    boot(2, b -> b.listener(seen::add));
    TestCluster.await(WAIT, cluster::converged, "3 nodes up");
    ChildRef first = null;
    for (int i = 0; first == null || first.node().name().equals("n2"); i++) {
      // a child n2 does not run, so n2 hears of it only through the replicated placements
      first = sup(0).startChild(ChildSpec.of("e-" + i, "worker")).join();
    }
    ChildRef ref = first;
    String id = ref.id();
    TestCluster.await(
        WAIT,
        () ->
            seen.stream()
                .anyMatch(e -> e instanceof SupervisorEvent.Placed p && p.ref().equals(ref)),
        "n2 hears it placed");
    int holder = Integer.parseInt(ref.node().name().substring(1));
    kill(holder);
    TestCluster.await(
        WAIT,
        () ->
            seen.stream()
                .anyMatch(
                    e ->
                        e instanceof SupervisorEvent.Moved m
                            && m.id().equals(id)
                            && m.from().equals(ref)
                            && m.cause() == SupervisorEvent.MoveCause.CLAIMED),
        "n2 hears it claimed");
    sup(2).terminateChild(id).join();
    TestCluster.await(
        WAIT,
        () ->
            seen.stream().anyMatch(e -> e instanceof SupervisorEvent.Ended x && x.id().equals(id)),
        "n2 hears it ended");
  }

  private Set<String> startMany(int n, int viaNode) {
    Set<String> ids = new TreeSet<>();
    List<CompletableFuture<ChildRef>> starts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "child-" + i;
      ids.add(id);
      starts.add(sup((i + viaNode) % supervisors.size()).startChild(ChildSpec.of(id, "worker")));
    }
    starts.forEach(CompletableFuture::join);
    return ids;
  }

  private static SupervisorException failure(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SupervisorException s) {
        return s;
      }
      throw e;
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void aClusterStartedWithoutTheSupervisorsWireTypesIsRefusedByTheBuilder() {
    cluster = TestCluster.start(1);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> DistributedSupervisor.builder("workers", cluster.node(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wireTypes(DistributedSupervisor.wireTypes())");
  }

  @Test
  void startTerminateWhichAndCountFromAnyNode() {
    start(3, b -> {});
    Set<String> ids = startMany(30, 0);
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "30 children run exactly once");
    for (int i = 0; i < 3; i++) {
      int n = i;
      TestCluster.await(
          WAIT, () -> sup(n).countChildren().join().specs() == 30, "node " + n + " counts 30");
      assertThat(sup(i).whichChildren().join())
          .extracting(ChildRef::id)
          .containsExactlyElementsOf(ids);
    }
    assertThat(ledger.on("n0") + ledger.on("n1") + ledger.on("n2")).isEqualTo(30);
    assertThat(ledger.on("n0")).as("spread over the nodes").isPositive();

    sup(2).terminateChild("child-7").join();
    ids.remove("child-7");
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "child-7 stopped everywhere");
    TestCluster.await(WAIT, () -> sup(0).countChildren().join().specs() == 29, "count follows");
    assertThat(failure(sup(1).terminateChild("nope")).reason())
        .isEqualTo(SupervisorException.Reason.NOT_FOUND);
    assertThat(failure(sup(1).startChild(ChildSpec.of("u", "no-such"))).reason())
        .isEqualTo(SupervisorException.Reason.UNKNOWN_FACTORY);
    assertThat(ledger.duplicates).isEmpty();
  }

  @Test
  void duplicateIdIsRejectedClusterWideWithTheExistingRef() {
    start(3, b -> {});
    ChildRef first = sup(0).startChild(ChildSpec.of("unique", "worker")).join();
    TestCluster.await(WAIT, () -> sup(2).countChildren().join().specs() == 1, "replicated");
    SupervisorException dup = failure(sup(2).startChild(ChildSpec.of("unique", "worker")));
    assertThat(dup.reason()).isEqualTo(SupervisorException.Reason.ALREADY_STARTED);
    assertThat(dup.existing()).isEqualTo(first);
  }

  @Test
  void crashedNodesChildrenRunAgainExactlyOnceWithTheNextGeneration() {
    start(3, b -> {});
    Set<String> ids = startMany(60, 1);
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "60 run once");
    long onVictim = ledger.on("n2");
    assertThat(onVictim).isPositive();
    kill(2);
    TestCluster.await(
        WAIT, () -> ledger.exactlyOnce(ids) && ledger.on("n2") == 0, "all 60 run again, once");
    assertThat(ledger.highestGeneration.values()).contains(2L);
    assertThat(ledger.duplicates).isEmpty();
  }

  @Test
  void gracefulStopHandsChildrenOver() {
    start(3, b -> {});
    Set<String> ids = startMany(30, 0);
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "30 run once");
    sup(1).stop(Duration.ofSeconds(10)).join();
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids) && ledger.on("n1") == 0, "handed over");
    assertThat(ledger.duplicates).isEmpty();
  }

  @Test
  void activeRedistributionRebalancesWhenANodeReturns() {
    start(3, b -> b.redistribution(Redistribution.ACTIVE));
    Set<String> ids = startMany(40, 0);
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "40 run once");
    kill(2);
    TestCluster.await(
        WAIT, () -> ledger.exactlyOnce(ids) && ledger.on("n2") == 0, "moved to n0, n1");
    Cluster fresh = cluster.restart(2);
    assertThat(fresh.self().name()).isEqualTo("n2");
    boot(2, b -> b.redistribution(Redistribution.ACTIVE));
    TestCluster.await(
        WAIT, () -> ledger.exactlyOnce(ids) && ledger.on("n2") > 5, "rebalanced onto n2");
  }

  @Test
  void quorumPartitionNeverRunsAChildOnBothSides() {
    start(5, b -> b.strategy(DistributionStrategy.uniformQuorum()));
    Set<String> ids = startMany(50, 0);
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "50 run once");
    cluster.partition(Set.of(0, 1));
    TestCluster.await(
        WAIT,
        () -> ledger.on("n0") == 0 && ledger.on("n1") == 0 && ledger.exactlyOnce(ids),
        "minority fenced, majority runs everything");
    cluster.heal();
    TestCluster.await(WAIT, cluster::converged, "healed");
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "one copy each after heal");
    assertThat(ledger.duplicates).as("never two copies at once").isEmpty();
  }

  @Test
  void plainPartitionEndsWithExactlyOneCopyAfterHeal() {
    start(5, b -> {});
    Set<String> ids = startMany(50, 0);
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "50 run once");
    cluster.partition(Set.of(0, 1));
    TestCluster.await(
        WAIT,
        () ->
            ids.stream()
                .allMatch(
                    id ->
                        ledger.running.getOrDefault(id, Set.of()).stream()
                            .anyMatch(
                                c ->
                                    c.startsWith("n2#")
                                        || c.startsWith("n3#")
                                        || c.startsWith("n4#"))),
        "the majority runs everything during the split");
    cluster.heal();
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "exactly one copy after heal");
  }
}
