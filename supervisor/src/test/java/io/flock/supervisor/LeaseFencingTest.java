package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The quorum strategy on the lease, under the faults of issue 14's findings: one-way loss in either
 * direction and a stalled core. The checker is the children's own ledger of what ran.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LeaseFencingTest {
  private static final Duration WAIT = Duration.ofSeconds(40);

  private final Ledger ledger = new Ledger();
  private final Map<String, ChildContext> contexts = new ConcurrentHashMap<>();
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);

  private void start(int n) {
    cluster = TestCluster.start(n, b -> b.wireTypes(DistributedSupervisor.wireTypes()));
    ChildFactory recorded = ledger.factory();
    for (int i = 0; i < n; i++) {
      supervisors.add(
          DistributedSupervisor.builder("workers", cluster.node(i))
              .strategy(DistributionStrategy.uniformQuorum())
              .factory(
                  "worker",
                  spec -> {
                    Child child = recorded.create(spec);
                    return ctx -> {
                      contexts.put(ctx.id() + "@" + ctx.node() + "#" + ctx.generation(), ctx);
                      child.run(ctx);
                    };
                  })
              .start());
    }
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    TestCluster.await(
        WAIT,
        () -> {
          for (int i = 0; i < n; i++) {
            if (!cluster.node(i).hasLease()) {
              return false;
            }
          }
          return true;
        },
        "every node holds its lease");
  }

  private Set<String> startMany(int n) {
    Set<String> ids = new TreeSet<>();
    List<CompletableFuture<ChildRef>> starts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "child-" + i;
      ids.add(id);
      starts.add(supervisors.get(0).startChild(ChildSpec.of(id, "worker")));
    }
    starts.forEach(CompletableFuture::join);
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "all running once");
    return ids;
  }

  @AfterEach
  void stopAll() {
    supervisors.forEach(DistributedSupervisor::close);
    cluster.close();
  }

  @Test
  void oneWayLossOthersStopHearingANodeNoChildRunsTwice() {
    start(3);
    Set<String> ids = startMany(30);
    TestCluster.await(WAIT, () -> ledger.on("n2") > 0, "some run on n2");
    cluster.cut(2, 0); // n2 hears the others; they no longer hear n2
    cluster.cut(2, 1);
    TestCluster.await(
        WAIT, () -> ledger.on("n2") == 0 && ledger.exactlyOnce(ids), "n2's children moved");
    assertThat(ledger.duplicates).isEmpty();
    cluster.heal();
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "one copy each after the heal");
    assertThat(ledger.duplicates).isEmpty();
  }

  @Test
  void oneWayLossANodeStopsHearingTheOthersItsChildrenMoveInsteadOfStaying() {
    start(3);
    Set<String> ids = startMany(30);
    cluster.cut(0, 2); // the others hear n2; n2 hears nobody (nor their acknowledgements)
    cluster.cut(1, 2);
    TestCluster.await(
        WAIT,
        () -> ledger.on("n2") == 0 && ledger.exactlyOnce(ids),
        "n2's children run on n0 and n1, not nowhere");
    assertThat(ledger.duplicates).isEmpty();
    cluster.heal();
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "one copy each after the heal");
    assertThat(ledger.duplicates).isEmpty();
  }

  @Test
  void aStalledNodeStopsItsChildrenDuringTheStallAndNoneRunsTwice() {
    start(3);
    Set<String> ids = startMany(30);
    long before = ledger.on("n1");
    assertThat(before).isPositive();
    cluster.pause(1, Duration.ofSeconds(4));
    // The lease thread stops them while the core is still blocked.
    TestCluster.await(Duration.ofSeconds(3), () -> ledger.on("n1") == 0, "n1 fenced its children");
    TestCluster.await(WAIT, () -> ledger.exactlyOnce(ids), "all running once after the stall");
    assertThat(ledger.duplicates).isEmpty();
  }

  @Test
  void aChildKnowsItIsNoLongerCurrentOnceItsNodeLostTheLease() {
    start(3);
    startMany(10);
    ChildContext onN2 =
        contexts.entrySet().stream()
            .filter(e -> e.getKey().contains("@n2#"))
            .findFirst()
            .orElseThrow()
            .getValue();
    assertThat(onN2.isCurrent()).isTrue();
    onN2.ensureCurrent();
    cluster.cut(2, 0);
    cluster.cut(2, 1);
    TestCluster.await(WAIT, () -> !onN2.isCurrent(), "the copy on n2 is fenced");
    assertThatThrownBy(onN2::ensureCurrent)
        .isInstanceOf(SupervisorException.class)
        .hasMessageContaining("not current");
  }
}
