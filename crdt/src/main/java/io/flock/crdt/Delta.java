package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable state fragment of an {@link AWLWWMap}: per key the dotted entries, plus a causal
 * context. Every mutator returns one; a whole replica's state is one too ({@link
 * AWLWWMap#state()}); and {@link AWLWWMap#join join} applies either.
 *
 * <p>A delta is <em>keyed</em> or <em>complete</em>. A keyed delta's context holds only dots of the
 * keys it lists (a key listed with no entries means "the listed dots of this key are removed"), so
 * joining it touches only those keys: the cost of a one-key delta does not grow with the map. A
 * complete delta is a whole state: its context applies to every key. Deltas made by this package
 * keep that invariant; {@link #of} checks what can be checked locally.
 *
 * @param <K> the key type; its {@code hashCode} must be the same in every JVM (strings, numbers,
 *     records of those), because digests are computed from it
 * @param <V> the value type
 */
public final class Delta<K, V> {
  private static final Delta<?, ?> EMPTY = new Delta<>(Map.of(), CausalContext.empty(), false);

  private final Map<K, List<Dotted<V>>> entries;
  private final CausalContext context;
  private final boolean complete;

  private Delta(Map<K, List<Dotted<V>>> entries, CausalContext context, boolean complete) {
    this.entries = entries;
    this.context = context;
    this.complete = complete;
  }

  /** The empty keyed delta. */
  @SuppressWarnings("unchecked")
  public static <K, V> Delta<K, V> empty() {
    return (Delta<K, V>) EMPTY;
  }

  /**
   * A delta of the given entries and context, validated and copied.
   *
   * @param entries per key, its dotted entries (an empty list lists the key with none)
   * @param context the dots this delta has seen; must contain every entry's dot
   * @param complete whether this is a whole state (the context applies to every key)
   * @throws NullPointerException if anything is null
   * @throws IllegalArgumentException if an entry's dot is not in the context, or a key lists the
   *     same dot twice
   */
  public static <K, V> Delta<K, V> of(
      Map<K, ? extends List<Dotted<V>>> entries, CausalContext context, boolean complete) {
    requireNonNull(entries, "entries");
    requireNonNull(context, "context");
    Map<K, List<Dotted<V>>> copy = HashMap.newHashMap(entries.size());
    for (Map.Entry<K, ? extends List<Dotted<V>>> e : entries.entrySet()) {
      K key = requireNonNull(e.getKey(), "entries key");
      List<Dotted<V>> list = List.copyOf(requireNonNull(e.getValue(), "entries value"));
      for (int i = 0; i < list.size(); i++) {
        Dotted<V> d = list.get(i);
        if (!context.contains(d.replica(), d.counter())) {
          throw new IllegalArgumentException(
              "malformed delta: entry " + d.dot() + " of key " + key + " is not in its context");
        }
        for (int j = 0; j < i; j++) {
          if (list.get(j).sameDot(d)) {
            throw new IllegalArgumentException(
                "malformed delta: key " + key + " lists dot " + d.dot() + " twice");
          }
        }
      }
      if (complete && list.isEmpty()) {
        continue;
      }
      copy.put(key, list);
    }
    return new Delta<>(Collections.unmodifiableMap(copy), context, complete);
  }

  /** Wraps already validated, unshared parts (package use only). */
  static <K, V> Delta<K, V> trusted(
      Map<K, List<Dotted<V>>> entries, CausalContext context, boolean complete) {
    return new Delta<>(
        entries instanceof HashMap ? Collections.unmodifiableMap(entries) : entries,
        context,
        complete);
  }

  /** The keys this delta lists. */
  public Set<K> keys() {
    return entries.keySet();
  }

  /** The entries of {@code key} (empty when the key is not listed or has none). */
  public List<Dotted<V>> entries(K key) {
    List<Dotted<V>> list = entries.get(key);
    return list == null ? List.of() : list;
  }

  /** Per listed key, its entries (an unmodifiable view). */
  public Map<K, List<Dotted<V>>> entries() {
    return entries;
  }

  /** The dots this delta has seen. */
  public CausalContext context() {
    return context;
  }

  /** Whether this is a whole state, whose context applies to every key. */
  public boolean isComplete() {
    return complete;
  }

  /** Whether joining this delta can change nothing. */
  public boolean isEmpty() {
    return entries.isEmpty() && context.isEmpty();
  }

  /** The number of dotted entries over all keys. */
  public int entryCount() {
    int n = 0;
    for (List<Dotted<V>> list : entries.values()) {
      n += list.size();
    }
    return n;
  }

  /**
   * The visible value of {@code key} in this fragment (the last-writer-wins among its entries), or
   * null.
   */
  public @Nullable V get(K key) {
    Dotted<V> winner = winner(entries(key));
    return winner == null ? null : winner.value();
  }

  /** The visible map this fragment holds, as a new map. */
  public Map<K, V> visible() {
    Map<K, V> out = new HashMap<>();
    entries.forEach(
        (k, list) -> {
          Dotted<V> winner = winner(list);
          if (winner != null) {
            out.put(k, winner.value());
          }
        });
    return out;
  }

  /**
   * The join (least upper bound) of two fragments: pure, commutative, associative and idempotent.
   * Used to group deltas for sending.
   */
  public Delta<K, V> join(Delta<K, V> other) {
    requireNonNull(other, "other");
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    boolean bothComplete = complete && other.complete;
    Set<K> keys = new HashSet<>(entries.keySet());
    keys.addAll(other.entries.keySet());
    Map<K, List<Dotted<V>>> out = HashMap.newHashMap(keys.size());
    for (K key : keys) {
      List<Dotted<V>> mine = entries(key);
      List<Dotted<V>> theirs = other.entries(key);
      List<Dotted<V>> merged = new ArrayList<>(mine.size() + theirs.size());
      for (Dotted<V> d : mine) {
        if (containsDot(theirs, d) || !other.context.contains(d.replica(), d.counter())) {
          merged.add(d);
        }
      }
      for (Dotted<V> d : theirs) {
        if (!containsDot(mine, d) && !context.contains(d.replica(), d.counter())) {
          merged.add(d);
        }
      }
      if (merged.isEmpty() && bothComplete) {
        continue;
      }
      merged.sort(Delta::byDot);
      out.put(key, List.copyOf(merged));
    }
    // A complete fragment joined with a keyed one is complete: applying its context everywhere is
    // always correct; "keyed" is only an optimisation that the invariant makes exact.
    return new Delta<>(
        Collections.unmodifiableMap(out), context.merge(other.context), complete || other.complete);
  }

  /**
   * The join of many fragments in one pass: equal to folding {@link #join} over them, but linear in
   * their total size (folding copies the accumulated group at every step). Exact for keyed deltas
   * because a keyed delta's context covers only the keys it lists; complete fragments are folded
   * pairwise.
   */
  public static <K, V> Delta<K, V> joinAll(List<Delta<K, V>> fragments) {
    requireNonNull(fragments, "fragments");
    for (Delta<K, V> d : fragments) {
      if (d.complete) {
        Delta<K, V> acc = empty();
        for (Delta<K, V> f : fragments) {
          acc = acc.join(f);
        }
        return acc;
      }
    }
    if (fragments.size() == 1) {
      return fragments.get(0);
    }
    Map<K, List<Dotted<V>>> acc = new HashMap<>();
    CausalContext.Builder seen = new CausalContext.Builder();
    for (Delta<K, V> d : fragments) {
      for (Map.Entry<K, List<Dotted<V>>> e : d.entries.entrySet()) {
        List<Dotted<V>> mine = acc.getOrDefault(e.getKey(), List.of());
        List<Dotted<V>> theirs = e.getValue();
        List<Dotted<V>> merged = new ArrayList<>(mine.size() + theirs.size());
        for (Dotted<V> x : mine) {
          if (containsDot(theirs, x) || !d.context.contains(x.replica(), x.counter())) {
            merged.add(x);
          }
        }
        for (Dotted<V> x : theirs) {
          if (!containsDot(mine, x) && !seen.contains(x.replica(), x.counter())) {
            merged.add(x);
          }
        }
        acc.put(e.getKey(), merged);
      }
      seen.addAll(d.context);
    }
    Map<K, List<Dotted<V>>> out = HashMap.newHashMap(acc.size());
    acc.forEach(
        (k, list) -> {
          list.sort(Delta::byDot);
          out.put(k, List.copyOf(list));
        });
    return new Delta<>(Collections.unmodifiableMap(out), seen.build(), false);
  }

  static int byDot(Dotted<?> a, Dotted<?> b) {
    int byReplica = a.replica().compareTo(b.replica());
    return byReplica != 0 ? byReplica : Long.compare(a.counter(), b.counter());
  }

  static boolean containsDot(List<? extends Dotted<?>> list, Dotted<?> d) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).sameDot(d)) {
        return true;
      }
    }
    return false;
  }

  static <V> @Nullable Dotted<V> winner(List<Dotted<V>> list) {
    return winner(list, null);
  }

  static <V> @Nullable Dotted<V> winner(
      List<Dotted<V>> list, @Nullable Comparator<? super V> order) {
    Dotted<V> best = null;
    for (int i = 0; i < list.size(); i++) {
      Dotted<V> d = list.get(i);
      if (best == null || d.winsOver(best, order)) {
        best = d;
      }
    }
    return best;
  }

  /** Equal when the same keys hold the same sets of entries and the contexts are equal. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Delta<?, ?> other)) {
      return false;
    }
    if (complete != other.complete
        || !context.equals(other.context)
        || !entries.keySet().equals(other.entries.keySet())) {
      return false;
    }
    for (Map.Entry<K, List<Dotted<V>>> e : entries.entrySet()) {
      List<? extends Dotted<?>> theirs = other.entries.get(e.getKey());
      if (theirs == null || !new HashSet<>(e.getValue()).equals(new HashSet<>(theirs))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = context.hashCode();
    for (Map.Entry<K, List<Dotted<V>>> e : entries.entrySet()) {
      h += e.getKey().hashCode() ^ new HashSet<>(e.getValue()).hashCode();
    }
    return h;
  }

  @Override
  public String toString() {
    return (complete ? "State" : "Delta") + entries + " " + context;
  }
}
