package io.flock.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.supervisor.ChildRef;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterTry;

/**
 * Issue 17: random registrations, unregistrations, partitions, heals and crash-restarts on an
 * in-JVM cluster of four; after the last heal every node sees the same owner for every name, and
 * each child that lost a name to a concurrent registration was told exactly once, on its own node,
 * and does not own it.
 */
class RegistryProperties {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int NODES = 4;
  private static final int NAMES = 6;

  private TestCluster cluster = TestCluster.start(0);
  private final List<Registry> registries = new ArrayList<>();
  private final List<List<RegistryEvent>> events = new ArrayList<>();

  @AfterTry
  void stop() {
    registries.forEach(Registry::close);
    registries.clear();
    events.clear();
    cluster.close();
  }

  private Registry boot(int i) {
    List<RegistryEvent> seen = events.get(i);
    return Registry.builder("names", cluster.node(i))
        .callTimeout(Duration.ofMillis(400))
        .listener(seen::add)
        .start();
  }

  @Property(tries = 5)
  void afterTheLastHealEveryNodeAgreesAndEveryLoserIsToldOnce(@ForAll long seed) throws Exception {
    try {
      run(seed);
    } catch (AssertionError e) {
      cluster.printStatus();
      throw e;
    }
  }

  /**
   * Found by the property (seed sample 6928): a child told it lost a name kept its entry under the
   * winner; when the winner's node went, the targeted sweep made the loser's entry visible again,
   * and a later concurrent registration had it told a second time. The loser's node now removes its
   * losing entry when told. Seen failing on that code (name-4 told twice to c25).
   */
  @net.jqwik.api.Example
  void aLoserIsToldOnceEvenWhenItsHiddenEntryWouldSurfaceAgain() throws Exception {
    run(6928L);
  }

  private void run(long seed) throws Exception {
    Random random = new Random(seed);
    cluster = TestCluster.start(NODES, b -> b.wireTypes(Registry.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, "nodes up");
    for (int i = 0; i < NODES; i++) {
      events.add(new CopyOnWriteArrayList<>());
      registries.add(boot(i));
    }
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (int step = 0; step < 60; step++) {
      int k = random.nextInt(NODES);
      String name = "name-" + random.nextInt(NAMES);
      int roll = random.nextInt(100);
      if (roll < 50) {
        ChildRef child = new ChildRef("c" + step, cluster.node(k).self(), 1);
        writes.add(registries.get(k).register(name, child));
      } else if (roll < 62) {
        writes.add(registries.get(k).unregister(name));
      } else if (roll < 72) {
        Set<Integer> side = new HashSet<>();
        side.add(k);
        if (random.nextBoolean()) {
          side.add((k + 1) % NODES);
        }
        cluster.partition(side);
      } else if (roll < 82) {
        cluster.heal();
      } else if (roll < 86) {
        registries.get(k).close();
        cluster.restart(k);
        registries.set(k, boot(k));
      } else {
        Thread.sleep(400); // let a split be noticed
      }
      Thread.sleep(30);
    }
    cluster.heal();
    for (CompletableFuture<?> w : writes) {
      w.handle((v, e) -> null).get(30, java.util.concurrent.TimeUnit.SECONDS); // each one ends
    }
    TestCluster.await(WAIT, cluster::converged, "healed");
    TestCluster.await(WAIT, this::allAgree, "every node sees the same owner for every name");
    Set<String> told = new HashSet<>();
    for (int i = 0; i < NODES; i++) {
      for (RegistryEvent e : events.get(i)) {
        if (e instanceof RegistryEvent.ConflictLost lost) {
          ChildRef loser = lost.loser().ref();
          String notice = lost.loser().name() + " " + loser;
          assertThat(told.add(notice)).as("told once: %s", notice).isTrue();
          assertThat(loser.node().name()).as("told on the loser's node").isEqualTo("n" + i);
          assertThat(registries.get(0).lookup(lost.loser().name()))
              .as("the loser does not own %s", lost.loser().name())
              .isNotEqualTo(Optional.of(loser));
        }
      }
    }
    net.jqwik.api.statistics.Statistics.collect("conflict notices " + bucket(told.size()));
  }

  private static String bucket(int n) {
    return n == 0 ? "0" : n < 3 ? "1-2" : "3+";
  }

  private boolean allAgree() {
    for (int n = 0; n < NAMES; n++) {
      Optional<ChildRef> first = registries.get(0).lookup("name-" + n);
      for (int k = 1; k < NODES; k++) {
        if (!first.equals(registries.get(k).lookup("name-" + n))) {
          return false;
        }
      }
    }
    return true;
  }
}
