package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.sim.SimCluster;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Convergence of the replicator on a simulated faulty network, on seeded random schedules. */
class ReplicatorProperties {

  /** Small bounds so that buffer overflow, digest sync and chunking all happen. */
  // A status every third tick to a neighbour in step, as an idle cluster sends them.
  static final Replicator.Settings TIGHT = new Replicator.Settings(16, 4, 2, 6, 3);

  private static AWLWWMap<String, String> reference(List<Delta<String, String>> deltas) {
    AWLWWMap<String, String> ref = new AWLWWMap<>(new ReplicaId("ref", 1), new Hlc(() -> 0));
    deltas.forEach(ref::join);
    return ref;
  }

  private static void chaos(SimCluster sim, Random random, int steps, boolean crashes) {
    for (int i = 0; i < steps; i++) {
      int slot = random.nextInt(sim.size());
      int roll = random.nextInt(100);
      if (roll < 25) {
        sim.put(slot, "k" + random.nextInt(40), "v" + random.nextInt(1000));
      } else if (roll < 32) {
        sim.remove(slot, "k" + random.nextInt(40));
      } else if (roll < 35) {
        Set<Integer> side = new HashSet<>();
        for (int s = 0; s < sim.size(); s++) {
          if (random.nextBoolean()) {
            side.add(s);
          }
        }
        sim.partition(side);
      } else if (roll < 38) {
        sim.heal();
      } else if (crashes && roll < 40 && othersHoldEverything(sim, slot)) {
        sim.crashRestart(slot);
      }
      sim.step();
      for (int s = 0; s < sim.size(); s++) {
        assertThat(sim.node(s).replicator().bufferedDeltas())
            .isLessThanOrEqualTo(TIGHT.maxBufferedDeltas());
      }
    }
  }

  /**
   * Whether the other replicas together already hold everything {@code slot} holds, so that a crash
   * of it loses no write (losses of never-sent writes have their own test).
   */
  private static boolean othersHoldEverything(SimCluster sim, int slot) {
    AWLWWMap<String, String> others = new AWLWWMap<>(new ReplicaId("u", 1), new Hlc(() -> 0));
    for (int s = 0; s < sim.size(); s++) {
      if (s != slot) {
        others.join(sim.node(s).map().state());
      }
    }
    Delta<String, String> before = others.state();
    others.join(sim.node(slot).map().state());
    return others.state().equals(before); // entries and context: hidden entries count too
  }

  @Property(tries = 200)
  void convergesToTheMapOfAllOperationsUnderFaults(
      @ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int n) {
    chaosHealAndCheck(seed, n, new SimCluster.Faults(0.2, 0.1, 4), false);
  }

  /**
   * Runs 300 steps of random writes, partitions and faults (and crashes if asked), heals, and
   * checks that every replica converged to exactly the map of all writes.
   */
  private static SimCluster chaosHealAndCheck(
      long seed, int n, SimCluster.Faults faults, boolean crashes) {
    SimCluster sim = new SimCluster(n, seed, TIGHT, 3);
    sim.faults(faults);
    chaos(sim, new Random(seed), 300, crashes);
    sim.heal();
    sim.faults(SimCluster.Faults.NONE);
    assertThat(sim.runUntilConverged(3_000)).as("converged after healing").isNotNegative();
    // Crashes wait until the others hold everything, so no write is lost: the result is exact.
    AWLWWMap<String, String> ref = reference(sim.allDeltas());
    for (int s = 0; s < n; s++) {
      assertThat(sim.node(s).map().snapshot()).isEqualTo(ref.snapshot());
    }
    return sim;
  }

  /**
   * With replicas crashing and restarting empty (once the others hold all they hold): everyone
   * converges to exactly the map of all writes, and retired incarnations are pruned everywhere.
   */
  @Property(tries = 200)
  void survivesCrashRestartsAndPrunesRetiredIncarnations(
      @ForAll long seed, @ForAll @IntRange(min = 2, max = 5) int n) {
    SimCluster sim = chaosHealAndCheck(seed, n, new SimCluster.Faults(0.1, 0.05, 3), true);
    Set<ReplicaId> live = new HashSet<>();
    for (int s = 0; s < n; s++) {
      live.add(sim.node(s).id());
    }
    // Quiet rounds let the retirement agreement complete everywhere.
    sim.steps(40 * sim.tickEvery);
    for (int s = 0; s < n; s++) {
      CausalContext context = sim.node(s).map().context();
      for (ReplicaId r : context.replicas()) {
        assertThat(live).as("context of %s holds only live incarnations", s).contains(r);
      }
    }
    assertThat(sim.converged()).isTrue();
  }

  /**
   * Issue 15 (a node back from the minority claimed children from an older view than the
   * majority's): a replica that was cut off starts a catch-up round once back; from the moment it
   * counts a majority caught up, it holds every write a majority held when the round began, under
   * loss, duplication and reordering, while every replica goes on writing.
   */
  @Property(tries = 200)
  void aCaughtUpReplicaHoldsEveryWriteAMajorityHeldWhenItsCatchUpBegan(
      @ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int n) {
    SimCluster sim = new SimCluster(n, seed, TIGHT, 3);
    sim.faults(new SimCluster.Faults(0.2, 0.1, 4));
    Random random = new Random(seed);
    sim.partition(Set.of(0));
    writeWhileStepping(sim, random, 120);
    sim.heal();
    int majority = n / 2 + 1;
    List<Delta<String, String>> heldByAMajority = new java.util.ArrayList<>();
    for (Delta<String, String> d : sim.allDeltas()) {
      int holders = 0;
      for (int s = 0; s < n; s++) {
        holders += holds(sim.node(s).map(), d) ? 1 : 0;
      }
      if (holders >= majority) {
        heldByAMajority.add(d);
      }
    }
    long round = sim.catchUp(0);
    int steps = 0;
    while (sim.node(0).replicator().caughtUp(round) < majority) {
      assertThat(++steps).as("caught up with a majority in time").isLessThan(3_000);
      writeWhileStepping(sim, random, 1);
    }
    for (Delta<String, String> d : heldByAMajority) {
      assertThat(holds(sim.node(0).map(), d)).as("holds %s", d).isTrue();
    }
  }

  private static void writeWhileStepping(SimCluster sim, Random random, int steps) {
    for (int i = 0; i < steps; i++) {
      if (random.nextInt(100) < 30) {
        sim.put(random.nextInt(sim.size()), "k" + random.nextInt(40), "v" + random.nextInt(1000));
      }
      sim.step();
    }
  }

  /** Whether {@code map} holds {@code delta}: joining it changes nothing {@code map} shows. */
  private static boolean holds(AWLWWMap<String, String> map, Delta<String, String> delta) {
    AWLWWMap<String, String> copy = new AWLWWMap<>(new ReplicaId("u", 1), new Hlc(() -> 0));
    copy.join(map.state());
    Map<String, String> before = copy.snapshot();
    copy.join(delta);
    return copy.snapshot().equals(before);
  }
}
