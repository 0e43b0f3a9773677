package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * One replica of a delta-state add-wins last-writer-wins map.
 *
 * <h2>Model</h2>
 *
 * After Almeida, Shoker and Baquero, <i>Delta State Replicated Data Types</i> (JPDC 2018): the
 * state is, per key, a set of dotted entries {@code (dot, timestamp, value)} plus a causal context
 * of every dot the replica has seen. A {@link #put put} makes a fresh dot and its delta covers the
 * key's earlier dots; a {@link #remove remove} covers the key's observed dots and adds nothing;
 * {@link #join join} keeps an entry unless the other side has seen its dot and no longer holds it.
 * So:
 *
 * <ul>
 *   <li>a put concurrent with a remove wins (the remove did not observe its dot: <b>add wins</b>);
 *   <li>a causally later write always replaces an earlier one, whatever the wall clocks say;
 *   <li>of concurrent puts, the visible value is the one with the greatest {@code (HLC timestamp,
 *       replica id)}, or, for a map made with a <em>conflict order</em> over values, the greatest
 *       value by that order first (a distributed supervisor orders placements by generation, so a
 *       fast clock cannot win over a higher generation); the others stay in the state until a later
 *       write covers them, so every replica picks the same winner.
 * </ul>
 *
 * <h2>Representation</h2>
 *
 * The replica's own state is a mutable hash map per digest bucket owned by one thread (a digest
 * sync walks only the buckets it wants); stored entries are immutable {@link Dotted} records (one
 * object per key in the common single-writer case). Deltas are immutable {@link Delta} values and
 * never alias the mutable state. A put or a one-key delta join touches one key and never copies the
 * map, so its cost does not grow with the map's size. Per bucket of keys the map keeps an
 * order-independent digest (a sum of entry hashes), updated in O(1) per change, which the {@link
 * Replicator} compares to find the entries two replicas differ in.
 *
 * <h2>Threading and nullness</h2>
 *
 * Not thread-safe: one owner thread calls every method. Keys and values are never null; a null
 * argument throws {@link NullPointerException} naming the parameter, and a malformed delta throws
 * {@link IllegalArgumentException} before anything changes.
 *
 * @param <K> the key type; its {@code hashCode} must be the same in every JVM (strings, numbers,
 *     records of those), because digests are computed from it
 * @param <V> the value type; values should be immutable
 */
public final class AWLWWMap<K, V> {
  static final int BUCKET_BITS = 10;

  /** The number of digest buckets keys are spread over. */
  public static final int BUCKETS = 1 << BUCKET_BITS;

  private final ReplicaId self;
  // Volatile: set once, possibly from another thread, before the owner reads with it.
  private volatile @Nullable Comparator<? super V> order;
  private final Hlc clock;
  private final BucketedStore<K> store = new BucketedStore<>();
  private final CausalContext.Builder context = new CausalContext.Builder();
  private final long[] digests = new long[BUCKETS];
  private long rootDigest;
  private long counter;

  /**
   * An empty replica.
   *
   * @param self this replica's id, unique per incarnation
   * @param clock the clock that timestamps this replica's writes
   * @throws NullPointerException if an argument is null
   */
  public AWLWWMap(ReplicaId self, Hlc clock) {
    this(self, clock, null);
  }

  /**
   * An empty replica whose concurrent writes are ordered by {@code order} over their values first,
   * then by timestamp and replica. Every replica of the map must use the same order; it must be
   * total and consistent with {@code equals}.
   *
   * @param order the conflict order, or null for last-writer-wins
   * @throws NullPointerException if {@code self} or {@code clock} is null
   */
  public AWLWWMap(ReplicaId self, Hlc clock, @Nullable Comparator<? super V> order) {
    this.self = requireNonNull(self, "self");
    this.clock = requireNonNull(clock, "clock");
    this.order = order;
  }

  /**
   * Sets the conflict order (null: last-writer-wins). The state is the same under every order; only
   * which of concurrent entries is visible changes, so set it before anyone reads the map.
   */
  public void conflictOrder(@Nullable Comparator<? super V> newOrder) {
    this.order = newOrder;
  }

  /** This replica's id. */
  public ReplicaId replica() {
    return self;
  }

  /**
   * Sets {@code key} to {@code value}.
   *
   * @return the delta of this write, to send to the other replicas
   * @throws NullPointerException if {@code key} or {@code value} is null
   */
  public Delta<K, V> put(K key, V value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    long c = ++counter;
    context.add(self, c);
    Dotted<V> written = new Dotted<>(self, c, clock.now(), value);
    int bucket = bucketOf(key);
    Object previous = store.put(bucket, key, written);
    long keyHash = keyHash(key);
    List<Dot> covered = new ArrayList<>(2);
    covered.add(written.dot());
    BucketedStore.forEachEntry(
        previous,
        d -> {
          covered.add(d.dot());
          digestRemove(bucket, keyHash, d);
        });
    digestAdd(bucket, keyHash, written);
    return Delta.trusted(Map.of(key, List.of(written)), CausalContext.ofDots(covered), false);
  }

  /**
   * Removes {@code key}: covers every entry of it this replica has observed. A concurrent put
   * elsewhere survives (add wins).
   *
   * @return the delta of this removal (empty if the key was absent)
   * @throws NullPointerException if {@code key} is null
   */
  public Delta<K, V> remove(K key) {
    requireNonNull(key, "key");
    Object previous = store.remove(key);
    if (previous == null) {
      return Delta.empty();
    }
    List<Dot> covered = new ArrayList<>(1);
    int bucket = bucketOf(key);
    long keyHash = keyHash(key);
    BucketedStore.forEachEntry(
        previous,
        d -> {
          covered.add(d.dot());
          digestRemove(bucket, keyHash, d);
        });
    return Delta.trusted(Map.of(key, List.of()), CausalContext.ofDots(covered), false);
  }

  /**
   * Removes the entries of {@code key} whose value {@code which} accepts, and covers only those:
   * the key's other entries (concurrent writes this replica holds, hidden by the conflict order)
   * stay, here and wherever the delta goes, and the next of them in the order becomes visible. A
   * plain {@link #remove} would take them too.
   *
   * @return the delta of this removal (empty if no entry matched)
   * @throws NullPointerException if an argument is null
   */
  public Delta<K, V> removeIf(K key, java.util.function.Predicate<? super V> which) {
    requireNonNull(key, "key");
    requireNonNull(which, "which");
    List<Dot> covered = new ArrayList<>(1);
    for (Dotted<V> d : BucketedStore.<V>entryList(store.get(key))) {
      if (which.test(d.value())) {
        covered.add(d.dot());
      }
    }
    if (covered.isEmpty()) {
      return Delta.empty();
    }
    CausalContext context = CausalContext.ofDots(covered);
    joinKey(key, List.of(), context, new ArrayList<>(1));
    return Delta.trusted(Map.of(key, List.of()), context, false);
  }

  /**
   * Removes every key this replica has observed.
   *
   * @return the delta of the removals
   */
  public Delta<K, V> clear() {
    if (store.size() == 0) {
      return Delta.empty();
    }
    Map<K, List<Dotted<V>>> keys = HashMap.newHashMap(store.size());
    List<Dot> covered = new ArrayList<>(store.size());
    store.forEach(
        (k, entries) -> {
          keys.put(k, List.of());
          BucketedStore.forEachEntry(entries, d -> covered.add(d.dot()));
        });
    store.clear();
    java.util.Arrays.fill(digests, 0);
    rootDigest = 0;
    return Delta.trusted(keys, CausalContext.of(Map.of(), covered), false);
  }

  /** The visible value of {@code key}, or null if absent. */
  public @Nullable V get(K key) {
    requireNonNull(key, "key");
    Dotted<V> winner = winnerOf(store.get(key));
    return winner == null ? null : winner.value();
  }

  /** Whether {@code key} is visible. */
  public boolean containsKey(K key) {
    requireNonNull(key, "key");
    return store.get(key) != null;
  }

  /** The number of visible keys. */
  public int size() {
    return store.size();
  }

  /** Whether no key is visible. */
  public boolean isEmpty() {
    return store.size() == 0;
  }

  /** Calls {@code action} with every visible key and value, in no particular order. */
  public void forEach(BiConsumer<? super K, ? super V> action) {
    requireNonNull(action, "action");
    store.forEach(
        (k, entries) -> {
          Dotted<V> winner = winnerOf(entries);
          if (winner != null) {
            action.accept(k, winner.value());
          }
        });
  }

  /** The visible map, copied. */
  public Map<K, V> snapshot() {
    Map<K, V> out = HashMap.newHashMap(store.size());
    forEach(out::put);
    return out;
  }

  /** Every dot this replica has seen. */
  public CausalContext context() {
    return context.build();
  }

  /** The greatest timestamp this replica has issued or observed. */
  public long lastTimestamp() {
    return clock.last();
  }

  /** This replica's whole state as a complete delta (copied: O(size)). */
  public Delta<K, V> state() {
    Map<K, List<Dotted<V>>> entries = HashMap.newHashMap(store.size());
    store.forEach((k, e) -> entries.put(k, BucketedStore.entryList(e)));
    return Delta.trusted(entries, context.build(), true);
  }

  /**
   * Joins a delta or a whole remote state into this replica.
   *
   * @return the changes of the visible map it caused, exactly
   * @throws NullPointerException if {@code delta} is null
   * @throws IllegalArgumentException if the delta is malformed: it carries a dot of this replica
   *     that this replica never issued, or a keyed delta retires replicas; nothing is changed
   */
  public List<Change<K, V>> join(Delta<K, V> delta) {
    requireNonNull(delta, "delta");
    validate(delta);
    List<Change<K, V>> changes = new ArrayList<>();
    CausalContext other = delta.context();
    for (Map.Entry<K, List<Dotted<V>>> e : delta.entries().entrySet()) {
      joinKey(e.getKey(), e.getValue(), other, changes);
    }
    if (delta.isComplete()) {
      List<K> unlisted = new ArrayList<>();
      store.forEach(
          (key, e) -> {
            if (!delta.entries().containsKey(key)) {
              unlisted.add(key);
            }
          });
      for (K key : unlisted) {
        joinKey(key, List.of(), other, changes);
      }
    }
    context.addAll(other);
    return changes;
  }

  /**
   * Prunes the causal-context entries of retired incarnations of {@code node}: every incarnation
   * below {@code belowIncarnation} is forgotten, and from then on each of their dots counts as
   * seen. Entries they wrote that are still visible stay visible; the visible map does not change.
   * What remains of them is one number per node name, so the context stays bounded however often
   * nodes restart.
   *
   * <p><b>Safety condition</b> (the caller's to ensure; the {@link Replicator} does): every
   * incarnation of {@code node} below {@code belowIncarnation} has ended and will never write
   * again, and this replica has already observed every dot any of them made. Then no dot of theirs
   * can arrive that this replica has not seen, so treating all of them as seen can neither lose a
   * key nor resurrect a removed one. The part that can be checked locally is: this replica's
   * context has no gap below the greatest dot it knows of each such incarnation.
   *
   * @throws NullPointerException if {@code node} is null
   * @throws IllegalArgumentException if {@code belowIncarnation} is negative or would retire this
   *     replica itself
   * @throws IllegalStateException if this replica has not seen every dot up to the greatest it
   *     knows of some such incarnation (nothing is changed)
   */
  public void prune(String node, long belowIncarnation) {
    requireNonNull(node, "node");
    if (belowIncarnation < 0) {
      throw new IllegalArgumentException("belowIncarnation must be >= 0, was " + belowIncarnation);
    }
    if (self.node().equals(node) && self.incarnation() < belowIncarnation) {
      throw new IllegalArgumentException("cannot retire this replica itself: " + self);
    }
    ReplicaId gap = context.firstWithGaps(node, belowIncarnation);
    if (gap != null) {
      throw new IllegalStateException(
          "cannot prune " + gap + ": this replica has not seen all of its dots yet");
    }
    context.retire(node, belowIncarnation);
  }

  // ---- anti-entropy support (package-private) ----

  /**
   * Prunes like {@link #prune} without the local gap check. The {@link Replicator} calls it once
   * every neighbour refuses the retired incarnations and holds the same entries as this replica:
   * then a dot this replica never saw is held by no live replica (it was superseded, removed, or
   * died with its writer), so counting it as seen is exact.
   */
  void pruneAgreed(String node, long belowIncarnation) {
    if (self.node().equals(node) && self.incarnation() < belowIncarnation) {
      throw new IllegalArgumentException("cannot retire this replica itself: " + self);
    }
    context.retire(node, belowIncarnation);
  }

  /** A key's 64-bit mix: the top {@link #BUCKET_BITS} bits pick its bucket, the rest order it. */
  static long keyMix(Object key) {
    return Hashing.mix(key.hashCode());
  }

  /** The bucket a key's entries are digested in. */
  static int bucketOf(Object key) {
    return (int) (keyMix(key) >>> (64 - BUCKET_BITS));
  }

  /** A key's position inside its bucket (the low bits of its mix), for splitting big buckets. */
  static long subOf(Object key) {
    return keyMix(key) & SUB_MASK;
  }

  static final long SUB_MASK = (1L << (64 - BUCKET_BITS)) - 1;

  /** The digest of every entry in {@code bucket}. */
  long bucketDigest(int bucket) {
    return digests[bucket];
  }

  /** A copy of all bucket digests. */
  long[] bucketDigests() {
    return digests.clone();
  }

  /** The digest of all entries: equal digests mean (with high probability) equal entries. */
  public long rootDigest() {
    return rootDigest;
  }

  /** The number of keys in {@code bucket}. */
  int bucketSize(int bucket) {
    return store.sizeOf(bucket);
  }

  /** Calls {@code action} with every key of {@code bucket} and its entries (a fresh list). */
  void forEachKeyEntriesIn(int bucket, BiConsumer<K, List<Dotted<V>>> action) {
    store.forEachIn(bucket, (k, e) -> action.accept(k, BucketedStore.entryList(e)));
  }

  /**
   * Joins another replica's entries for a scope of keys, as the digest sync sends them: for a key
   * in the scope, an entry held here whose dot {@code senderContext} has seen but the sender no
   * longer holds is removed; entries this replica has not seen are added. Unlike {@link #join},
   * only the dots of the entries received and removed join this replica's context: the sender's
   * context also covers keys outside the scope, whose entries this replica may not have yet.
   *
   * @param scope the keys the sender listed completely (a key in scope absent from {@code entries}
   *     is absent at the sender)
   * @throws IllegalArgumentException if an entry lies outside the scope or carries a dot of this
   *     replica it never issued; nothing is changed
   */
  List<Change<K, V>> joinScope(
      SyncScope scope, Map<K, List<Dotted<V>>> entries, CausalContext senderContext) {
    for (Map.Entry<K, List<Dotted<V>>> e : entries.entrySet()) {
      if (!scope.contains(e.getKey())) {
        throw new IllegalArgumentException(
            "malformed sync: key " + e.getKey() + " is outside the scope it claims");
      }
      for (Dotted<V> d : e.getValue()) {
        checkNotFromFuture(d.replica(), d.counter());
        if (!senderContext.contains(d.replica(), d.counter())) {
          throw new IllegalArgumentException(
              "malformed sync: entry " + d.dot() + " is not in the sender's context");
        }
      }
    }
    checkNotFromFuture(self, senderContext.max(self));
    List<Change<K, V>> changes = new ArrayList<>();
    List<K> unlisted = store.keysIn(scope);
    unlisted.removeIf(entries::containsKey);
    CausalContext.Builder learned = new CausalContext.Builder();
    for (Map.Entry<K, List<Dotted<V>>> e : entries.entrySet()) {
      for (Dotted<V> d : e.getValue()) {
        learned.add(d.replica(), d.counter());
      }
      joinKey(e.getKey(), e.getValue(), senderContext, changes);
    }
    for (K key : unlisted) {
      BucketedStore.forEachEntry(
          store.get(key),
          d -> {
            if (senderContext.contains(d.replica(), d.counter())) {
              learned.add(d.replica(), d.counter());
            }
          });
      joinKey(key, List.of(), senderContext, changes);
    }
    context.addAll(learned.build());
    return changes;
  }

  /**
   * Adopts another replica's whole context, which is safe only when that replica holds exactly the
   * entries this one holds (equal {@link #rootDigest}s): then this is the join of the two full
   * states. Used to compact the context after a digest sync.
   */
  void adoptContextOfEqualState(CausalContext other) {
    checkNotFromFuture(self, other.max(self));
    if (other.isRetired(self)) {
      throw new IllegalArgumentException("malformed sync: it retires this replica " + self);
    }
    context.addAll(other);
  }

  // ---- internals ----

  private void validate(Delta<K, V> delta) {
    CausalContext other = delta.context();
    checkNotFromFuture(self, other.max(self));
    if (!delta.isComplete() && !other.retiredBelow().isEmpty()) {
      throw new IllegalArgumentException(
          "malformed delta: a keyed delta cannot retire replicas " + other.retiredBelow());
    }
    if (other.isRetired(self)) {
      throw new IllegalArgumentException("malformed delta: it retires this replica " + self);
    }
  }

  private void checkNotFromFuture(ReplicaId replica, long c) {
    if (replica.equals(self) && c > counter) {
      throw new IllegalArgumentException(
          "malformed delta: it carries dot "
              + self
              + ":"
              + c
              + " of this replica, which has issued only "
              + counter);
    }
  }

  private void joinKey(
      K key, List<Dotted<V>> incoming, CausalContext other, List<Change<K, V>> changes) {
    Object current = store.get(key);
    int bucket = bucketOf(key);
    long keyHash = keyHash(key);
    Dotted<V> before = winnerOf(current);
    List<Dotted<V>> kept = new ArrayList<>(2);
    boolean changed = false;
    for (Dotted<V> d : BucketedStore.<V>entryList(current)) {
      if (Delta.containsDot(incoming, d) || !other.contains(d.replica(), d.counter())) {
        kept.add(d);
      } else {
        digestRemove(bucket, keyHash, d);
        changed = true;
      }
    }
    for (int i = 0; i < incoming.size(); i++) {
      Dotted<V> d = incoming.get(i);
      clock.observe(d.timestamp());
      if (!context.contains(d.replica(), d.counter()) && !BucketedStore.containsDotIn(current, d)) {
        kept.add(d);
        digestAdd(bucket, keyHash, d);
        changed = true;
      }
    }
    if (!changed) {
      return;
    }
    if (kept.isEmpty()) {
      store.remove(key);
    } else if (kept.size() == 1) {
      store.put(bucket, key, kept.get(0));
    } else {
      store.put(bucket, key, kept.toArray(new Dotted<?>[0]));
    }
    Dotted<V> after = Delta.winner(kept, order);
    V oldValue = before == null ? null : before.value();
    V newValue = after == null ? null : after.value();
    if (oldValue == null) {
      if (newValue != null) {
        changes.add(new Change.Added<>(key, newValue));
      }
    } else if (newValue == null) {
      changes.add(new Change.Removed<>(key, oldValue));
    } else if (!Objects.equals(oldValue, newValue)) {
      changes.add(new Change.Updated<>(key, oldValue, newValue));
    }
  }

  private static long keyHash(Object key) {
    return Hashing.mix(key.hashCode() * 0xC2B2AE3D27D4EB4FL);
  }

  private static long entryHash(long keyHash, Dotted<?> d) {
    return Hashing.mix(keyHash ^ (d.replica().stableHash() + d.counter() * 0x9E3779B97F4A7C15L));
  }

  private void digestAdd(int bucket, long keyHash, Dotted<?> d) {
    long h = entryHash(keyHash, d);
    digests[bucket] += h;
    rootDigest += h;
  }

  private void digestRemove(int bucket, long keyHash, Dotted<?> d) {
    long h = entryHash(keyHash, d);
    digests[bucket] -= h;
    rootDigest -= h;
  }

  @SuppressWarnings("unchecked")
  private @Nullable Dotted<V> winnerOf(@Nullable Object stored) {
    if (stored == null) {
      return null;
    }
    if (stored instanceof Dotted<?> single) {
      return (Dotted<V>) single;
    }
    Dotted<V> best = null;
    for (Dotted<?> d : (Dotted<?>[]) stored) {
      Dotted<V> e = (Dotted<V>) d;
      if (best == null || e.winsOver(best, order)) {
        best = e;
      }
    }
    return best;
  }
}
