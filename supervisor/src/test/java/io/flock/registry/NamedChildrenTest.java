package io.flock.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.TestCluster;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
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

  private void start(int n, io.flock.supervisor.DistributionStrategy strategy) {
    cluster =
        TestCluster.start(
            n, b -> b.wireTypes(Registry.wireTypes()).wireTypes(DistributedSupervisor.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    for (int i = 0; i < n; i++) {
      Registry r =
          Registry.builder("names", cluster.node(i)).callTimeout(Duration.ofMillis(500)).start();
      registries.add(r);
      supervisors.add(
          DistributedSupervisor.builder("workers", cluster.node(i))
              .factory("worker", spec -> ctx -> Thread.sleep(Long.MAX_VALUE))
              .strategy(strategy)
              .names(r)
              .start());
    }
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
    ChildRef a = null;
    ChildRef b = null;
    for (int i = 0; a == null || b == null; i++) {
      ChildRef r = supervisors.get(0).startChild(ChildSpec.of("c" + i, "worker")).join();
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
}
