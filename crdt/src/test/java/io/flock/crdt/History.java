package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.jspecify.annotations.Nullable;

/**
 * Generated histories of operations on a few replicas with independent, skewed clocks. Running one
 * records every delta made, and checks at every join that the reported changes are exactly the
 * difference of the visible maps.
 */
final class History {
  static final int KEYS = 5;

  sealed interface Op {}

  record Put(int replica, int key, int value) implements Op {}

  record Remove(int replica, int key) implements Op {}

  record Clear(int replica) implements Op {}

  /** {@code to} joins the whole state of {@code from}. */
  record Sync(int from, int to) implements Op {}

  /** {@code to} joins the {@code index}-th (mod count) delta made so far by {@code from}. */
  record Deliver(int from, int to, int index) implements Op {}

  record Tick(int replica, int millis) implements Op {}

  static Arbitrary<Op> op(int replicas) {
    Arbitrary<Integer> r = Arbitraries.integers().between(0, replicas - 1);
    Arbitrary<Integer> k = Arbitraries.integers().between(0, KEYS - 1);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(
            8, Combinators.combine(r, k, Arbitraries.integers().between(0, 3)).as(Put::new)),
        net.jqwik.api.Tuple.of(4, Combinators.combine(r, k).as(Remove::new)),
        net.jqwik.api.Tuple.of(1, r.map(Clear::new)),
        net.jqwik.api.Tuple.of(4, Combinators.combine(r, r).as(Sync::new)),
        net.jqwik.api.Tuple.of(
            4, Combinators.combine(r, r, Arbitraries.integers().between(0, 50)).as(Deliver::new)),
        net.jqwik.api.Tuple.of(
            3, Combinators.combine(r, Arbitraries.integers().between(-5, 20)).as(Tick::new)));
  }

  static Arbitrary<List<Op>> ops(int replicas, int maxLength) {
    return op(replicas).list().ofMaxSize(maxLength);
  }

  final List<AWLWWMap<String, String>> replicas = new ArrayList<>();
  final List<AtomicLong> clocks = new ArrayList<>();
  final List<List<Delta<String, String>>> deltasBy = new ArrayList<>();
  final List<Delta<String, String>> allDeltas = new ArrayList<>();

  /** The conflict order this history's replicas use (null: last-writer-wins). */
  final java.util.@Nullable Comparator<String> order;

  History(int n, java.util.@Nullable Comparator<String> order) {
    this.order = order;
    for (int i = 0; i < n; i++) {
      AtomicLong physical = new AtomicLong(1_000 + i * 7L);
      clocks.add(physical);
      replicas.add(new AWLWWMap<>(new ReplicaId("n" + i, 1), new Hlc(physical::get), order));
      deltasBy.add(new ArrayList<>());
    }
  }

  static History run(int n, List<Op> ops) {
    return run(n, ops, null);
  }

  static History run(int n, List<Op> ops, java.util.@Nullable Comparator<String> order) {
    History h = new History(n, order);
    ops.forEach(h::apply);
    return h;
  }

  void apply(Op op) {
    switch (op) {
      case Put p ->
          record(p.replica(), replicas.get(p.replica()).put(key(p.key()), "v" + p.value()));
      case Remove rm -> record(rm.replica(), replicas.get(rm.replica()).remove(key(rm.key())));
      case Clear c -> record(c.replica(), replicas.get(c.replica()).clear());
      case Sync s -> joinChecked(replicas.get(s.to()), replicas.get(s.from()).state());
      case Deliver d -> {
        List<Delta<String, String>> made = deltasBy.get(d.from());
        if (!made.isEmpty()) {
          joinChecked(replicas.get(d.to()), made.get(d.index() % made.size()));
        }
      }
      case Tick t -> clocks.get(t.replica()).addAndGet(t.millis());
    }
  }

  static String key(int k) {
    return "k" + k;
  }

  private void record(int replica, Delta<String, String> delta) {
    deltasBy.get(replica).add(delta);
    allDeltas.add(delta);
  }

  /** Joins and checks that the reported changes are the exact difference of visible maps. */
  static <K, V> List<Change<K, V>> joinChecked(AWLWWMap<K, V> map, Delta<K, V> delta) {
    Map<K, V> before = map.snapshot();
    List<Change<K, V>> changes = map.join(delta);
    Map<K, V> expected = new HashMap<>(before);
    List<K> seen = new ArrayList<>();
    for (Change<K, V> c : changes) {
      assertThat(seen).as("each key reported once").doesNotContain(c.key());
      seen.add(c.key());
      switch (c) {
        case Change.Added<K, V> a -> {
          assertThat(before).doesNotContainKey(a.key());
          expected.put(a.key(), a.newValue());
        }
        case Change.Updated<K, V> u -> {
          assertThat(before).containsEntry(u.key(), u.oldValue());
          assertThat(u.newValue()).isNotEqualTo(u.oldValue());
          expected.put(u.key(), u.newValue());
        }
        case Change.Removed<K, V> r -> {
          assertThat(before).containsEntry(r.key(), r.oldValue());
          expected.remove(r.key());
        }
      }
    }
    assertThat(map.snapshot()).isEqualTo(expected);
    return changes;
  }

  /** A fresh replica holding the join of the given fragments, applied in order. */
  static AWLWWMap<String, String> fresh(String name, List<Delta<String, String>> fragments) {
    return fresh(name, fragments, null);
  }

  static AWLWWMap<String, String> fresh(
      String name,
      List<Delta<String, String>> fragments,
      java.util.@Nullable Comparator<String> order) {
    AWLWWMap<String, String> map = new AWLWWMap<>(new ReplicaId(name, 1), new Hlc(() -> 0), order);
    fragments.forEach(f -> joinChecked(map, f));
    return map;
  }
}
