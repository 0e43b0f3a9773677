package io.flock.crdt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The entries of an {@link AWLWWMap} replica, kept per digest bucket: one hash map of keys per
 * bucket, made on its first key. What a digest sync walks (the keys of some buckets) then costs the
 * size of those buckets, not of the whole map, so a catch-up of {@code n} keys in chunks is linear
 * in {@code n} rather than quadratic.
 *
 * <p>A key's stored value is one {@link Dotted} entry (the common single-writer case) or an array
 * of them (concurrent writes); the static helpers read either form.
 *
 * <p>Threading: the replica's owner thread only.
 */
final class BucketedStore<K> {
  @SuppressWarnings({"unchecked", "rawtypes"})
  private final @Nullable HashMap<K, Object>[] buckets = new HashMap[AWLWWMap.BUCKETS];

  private int size;

  /** What {@code key} holds (a {@link Dotted} or an array of them), or null. */
  @Nullable Object get(K key) {
    HashMap<K, Object> bucket = buckets[AWLWWMap.bucketOf(key)];
    return bucket == null ? null : bucket.get(key);
  }

  /** Stores {@code stored} for {@code key} of {@code bucket}; the previous value or null. */
  @Nullable Object put(int bucket, K key, Object stored) {
    HashMap<K, Object> keys = buckets[bucket];
    if (keys == null) {
      keys = new HashMap<>();
      buckets[bucket] = keys;
    }
    Object previous = keys.put(key, stored);
    if (previous == null) {
      size++;
    }
    return previous;
  }

  /** Removes {@code key}; what it held, or null. */
  @Nullable Object remove(K key) {
    HashMap<K, Object> keys = buckets[AWLWWMap.bucketOf(key)];
    Object previous = keys == null ? null : keys.remove(key);
    if (previous != null) {
      size--;
    }
    return previous;
  }

  int size() {
    return size;
  }

  /** The number of keys in {@code bucket}. */
  int sizeOf(int bucket) {
    HashMap<K, Object> keys = buckets[bucket];
    return keys == null ? 0 : keys.size();
  }

  void clear() {
    java.util.Arrays.fill(buckets, null);
    size = 0;
  }

  /** Calls {@code action} with every key and what it holds. */
  void forEach(BiConsumer<? super K, Object> action) {
    for (HashMap<K, Object> keys : buckets) {
      if (keys != null) {
        keys.forEach(action);
      }
    }
  }

  /** Calls {@code action} with every key of {@code bucket} and what it holds. */
  void forEachIn(int bucket, BiConsumer<? super K, Object> action) {
    HashMap<K, Object> keys = buckets[bucket];
    if (keys != null) {
      keys.forEach(action);
    }
  }

  /** The keys {@code scope} covers, copied (the caller may change the store while using them). */
  List<K> keysIn(SyncScope scope) {
    List<K> out = new ArrayList<>();
    var whole = scope.buckets();
    for (int b = whole.nextSetBit(0); b >= 0; b = whole.nextSetBit(b + 1)) {
      HashMap<K, Object> keys = buckets[b];
      if (keys != null) {
        out.addAll(keys.keySet());
      }
    }
    int partial = scope.partialBucket();
    if (partial >= 0 && !whole.get(partial)) {
      forEachIn(
          partial,
          (k, e) -> {
            if (scope.contains(k)) {
              out.add(k);
            }
          });
    }
    return out;
  }

  /** The entries of a stored value, as a fresh list. */
  @SuppressWarnings("unchecked")
  static <V> List<Dotted<V>> entryList(@Nullable Object stored) {
    if (stored == null) {
      return List.of();
    }
    if (stored instanceof Dotted<?> single) {
      return List.of((Dotted<V>) single);
    }
    return List.of((Dotted<V>[]) stored);
  }

  /** Calls {@code action} with every entry of a stored value. */
  @SuppressWarnings("unchecked")
  static <V> void forEachEntry(@Nullable Object stored, Consumer<Dotted<V>> action) {
    if (stored == null) {
      return;
    }
    if (stored instanceof Dotted<?> single) {
      action.accept((Dotted<V>) single);
      return;
    }
    for (Dotted<?> d : (Dotted<?>[]) stored) {
      action.accept((Dotted<V>) d);
    }
  }

  /** Whether a stored value holds an entry with {@code d}'s dot. */
  static boolean containsDotIn(@Nullable Object stored, Dotted<?> d) {
    if (stored == null) {
      return false;
    }
    if (stored instanceof Dotted<?> single) {
      return single.sameDot(d);
    }
    for (Dotted<?> e : (Dotted<?>[]) stored) {
      if (e.sameDot(d)) {
        return true;
      }
    }
    return false;
  }
}
