package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The join-semilattice laws and delta equivalence, on generated histories. */
class CrdtLawsProperties {

  @Provide
  Arbitrary<List<History.Op>> histories() {
    return History.ops(3, 40);
  }

  private static List<Delta<String, String>> states(History h) {
    return h.replicas.stream().map(AWLWWMap::state).toList();
  }

  @Property(tries = 1000)
  void joinIsCommutative(@ForAll("histories") List<History.Op> ops) {
    History h = History.run(3, ops);
    List<Delta<String, String>> s = states(h);
    assertThat(s.get(0).join(s.get(1))).isEqualTo(s.get(1).join(s.get(0)));
    assertThat(History.fresh("x", List.of(s.get(0), s.get(1))).state())
        .isEqualTo(History.fresh("x", List.of(s.get(1), s.get(0))).state());
  }

  @Property(tries = 1000)
  void joinIsAssociative(@ForAll("histories") List<History.Op> ops) {
    History h = History.run(3, ops);
    List<Delta<String, String>> s = states(h);
    Delta<String, String> left = s.get(0).join(s.get(1)).join(s.get(2));
    Delta<String, String> right = s.get(0).join(s.get(1).join(s.get(2)));
    assertThat(left).isEqualTo(right);
    assertThat(History.fresh("x", List.of(s.get(0).join(s.get(1)), s.get(2))).state())
        .isEqualTo(History.fresh("x", List.of(s.get(0), s.get(1).join(s.get(2)))).state());
  }

  @Property(tries = 1000)
  void joinIsIdempotent(@ForAll("histories") List<History.Op> ops) {
    History h = History.run(3, ops);
    for (AWLWWMap<String, String> replica : h.replicas) {
      Delta<String, String> state = replica.state();
      assertThat(state.join(state)).isEqualTo(state);
      assertThat(replica.join(state)).isEmpty();
      assertThat(replica.state()).isEqualTo(state);
    }
    for (Delta<String, String> delta : h.allDeltas) {
      assertThat(delta.join(delta)).isEqualTo(delta);
    }
  }

  /**
   * Delivering a random subset of all deltas in any order, some twice, then the rest, reaches the
   * state that joining the replicas' full states reaches.
   */
  @Property(tries = 1000)
  void deltasInAnyOrderEqualFullStates(
      @ForAll("histories") List<History.Op> ops, @ForAll long seed) {
    History h = History.run(3, ops);
    Random random = new Random(seed);
    List<Delta<String, String>> first = new ArrayList<>();
    List<Delta<String, String>> rest = new ArrayList<>();
    for (Delta<String, String> d : h.allDeltas) {
      (random.nextBoolean() ? first : rest).add(d);
      if (random.nextInt(4) == 0) {
        first.add(d);
      }
    }
    Collections.shuffle(first, random);
    Collections.shuffle(rest, random);
    List<Delta<String, String>> deliveries = new ArrayList<>(first);
    deliveries.addAll(rest);

    AWLWWMap<String, String> viaDeltas = History.fresh("x", deliveries);
    AWLWWMap<String, String> viaStates = History.fresh("x", states(h));
    assertThat(viaDeltas.state()).isEqualTo(viaStates.state());
    assertThat(viaDeltas.snapshot()).isEqualTo(viaStates.snapshot());

    // Grouping deltas first (as the replicator's buffer does) changes nothing either.
    Delta<String, String> grouped = Delta.empty();
    for (Delta<String, String> d : deliveries) {
      grouped = grouped.join(d);
    }
    assertThat(History.fresh("x", List.of(grouped)).state()).isEqualTo(viaStates.state());
    // The one-pass group the replicator sends equals the pairwise fold.
    assertThat(Delta.joinAll(deliveries)).isEqualTo(grouped);
  }

  /** The value order a distributed supervisor uses in spirit: a greater value wins a conflict. */
  private static final java.util.Comparator<String> BY_VALUE = java.util.Comparator.naturalOrder();

  /**
   * With a conflict order: after everyone has everything all replicas show the same visible map,
   * each key's value is the greatest among the entries the state still holds for it, and delivering
   * the deltas in any order reaches it too.
   */
  @Property(tries = 1000)
  void aConflictOrderConvergesAndPicksTheGreatestConcurrentValue(
      @ForAll("histories") List<History.Op> ops, @ForAll long seed) {
    History h = History.run(3, ops, BY_VALUE);
    List<Delta<String, String>> s = states(h);
    for (AWLWWMap<String, String> replica : h.replicas) {
      s.forEach(state -> History.joinChecked(replica, state));
    }
    Map<String, String> visible = h.replicas.get(0).snapshot();
    assertThat(h.replicas.get(1).snapshot()).isEqualTo(visible);
    assertThat(h.replicas.get(2).snapshot()).isEqualTo(visible);
    Delta<String, String> all = h.replicas.get(0).state();
    for (String key : visible.keySet()) {
      String greatest = all.entries(key).stream().map(Dotted::value).max(BY_VALUE).orElseThrow();
      assertThat(visible.get(key)).isEqualTo(greatest);
    }
    List<Delta<String, String>> shuffled = new ArrayList<>(h.allDeltas);
    Collections.shuffle(shuffled, new Random(seed));
    assertThat(History.fresh("x", shuffled, BY_VALUE).snapshot()).isEqualTo(visible);
  }

  /** After everyone has everything, all replicas show the same visible map. */
  @Property(tries = 1000)
  void fullExchangeConverges(@ForAll("histories") List<History.Op> ops) {
    History h = History.run(3, ops);
    List<Delta<String, String>> s = states(h);
    for (AWLWWMap<String, String> replica : h.replicas) {
      s.forEach(state -> History.joinChecked(replica, state));
    }
    assertThat(h.replicas.get(1).snapshot()).isEqualTo(h.replicas.get(0).snapshot());
    assertThat(h.replicas.get(2).snapshot()).isEqualTo(h.replicas.get(0).snapshot());
    assertThat(h.replicas.get(1).rootDigest()).isEqualTo(h.replicas.get(0).rootDigest());
    assertThat(h.replicas.get(2).bucketDigests()).isEqualTo(h.replicas.get(0).bucketDigests());
  }
}
