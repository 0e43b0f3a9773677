package io.flock.crdt;

import io.flock.crdt.ReplicationMessage.SyncChunk;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Cuts the entries of the buckets a digest sync wants into chunks: at most {@code maxEntries} keys
 * and {@link Replicator#MAX_INTERVAL_BYTES} per chunk, a bucket too big for one chunk sent as hash
 * ranges of it, each chunk saying exactly which buckets and range it covers and where the next one
 * resumes.
 *
 * <p>Threading: the replica's (not thread-safe).
 */
final class SyncChunker<K, V> {
  private final AWLWWMap<K, V> map;
  private final int maxEntries;
  private final @Nullable ToIntFunction<V> valueBytes;

  /**
   * A chunker for {@code map}; {@code valueBytes}, when given, is the encoded size of a value, and
   * bounds a chunk's bytes as well as its keys.
   */
  SyncChunker(AWLWWMap<K, V> map, int maxEntries, @Nullable ToIntFunction<V> valueBytes) {
    this.map = map;
    this.maxEntries = maxEntries;
    this.valueBytes = valueBytes;
  }

  /** About the encoded size of one key's entries (0 when values have no known size). */
  private long bytesOf(List<Dotted<V>> entries) {
    ToIntFunction<V> sizer = valueBytes;
    if (sizer == null) {
      return 0;
    }
    long n = 0;
    for (Dotted<V> d : entries) {
      n += 24 + sizer.applyAsInt(d.value());
    }
    return n;
  }

  /** The number of keys of {@code bucket} at in-bucket position {@code from} or beyond. */
  private int countFrom(int bucket, long from) {
    if (from == 0) {
      return map.bucketSize(bucket);
    }
    int[] n = {0};
    map.forEachKeyEntriesIn(
        bucket,
        (k, entries) -> {
          if (AWLWWMap.subOf(k) >= from) {
            n[0]++;
          }
        });
    return n[0];
  }

  private record Item<K, V>(long sub, K key, List<Dotted<V>> entries) {}

  /** The next chunk of the buckets {@code wanted}, the first one from position {@code resume}. */
  SyncChunk<K, V> chunk(BitSet wanted, long resume) {
    int first = wanted.nextSetBit(0);
    int max = maxEntries;
    // Count first, then collect only the buckets this chunk can reach: a catch-up of n keys takes
    // n / max chunks, and each chunk walks only the keys of the buckets it sends (the map keeps
    // keys per bucket), so the whole catch-up is linear in n.
    int last = first;
    for (int b = first, total = 0; b >= 0; b = wanted.nextSetBit(b + 1)) {
      last = b;
      total += b == first ? countFrom(b, resume) : map.bucketSize(b);
      if (total > max) {
        break; // this bucket is split or starts the next chunk: nothing beyond it is needed
      }
    }
    Map<Integer, List<Item<K, V>>> byBucket = new HashMap<>();
    for (int b = first; b >= 0 && b <= last; b = wanted.nextSetBit(b + 1)) {
      long from = b == first ? resume : 0;
      List<Item<K, V>> items = new ArrayList<>(map.bucketSize(b));
      map.forEachKeyEntriesIn(
          b,
          (k, entries) -> {
            long sub = AWLWWMap.subOf(k);
            if (sub >= from) {
              items.add(new Item<>(sub, k, entries));
            }
          });
      byBucket.put(b, items);
    }
    Map<K, List<Dotted<V>>> entries = new HashMap<>();
    long bytes = 0;
    BitSet covered = new BitSet();
    int partial = -1;
    long partialFrom = 0;
    long partialTo = 0;
    int nextBucket = -1;
    long nextResume = 0;
    for (int b = first; b >= 0; b = wanted.nextSetBit(b + 1)) {
      long from = b == first ? resume : 0;
      List<Item<K, V>> items = byBucket.getOrDefault(b, List.of());
      long itemBytes = 0;
      for (Item<K, V> i : items) {
        itemBytes += bytesOf(i.entries());
      }
      if (entries.size() + items.size() <= max
          && bytes + itemBytes <= Replicator.MAX_INTERVAL_BYTES) {
        items.forEach(i -> entries.put(i.key(), i.entries()));
        bytes += itemBytes;
        if (from == 0) {
          covered.set(b);
        } else {
          partial = b;
          partialFrom = from;
          partialTo = AWLWWMap.SUB_MASK + 1;
        }
        continue;
      }
      if (!entries.isEmpty()) {
        nextBucket = b;
        nextResume = from;
        break;
      }
      // This bucket alone is too big: send a hash range of it.
      List<Item<K, V>> sorted = new ArrayList<>(items);
      sorted.sort(Comparator.comparingLong(Item::sub));
      // The first position beyond the budget (max items, Replicator.MAX_INTERVAL_BYTES), one item
      // at least.
      int fit = 0;
      long fitBytes = 0;
      while (fit < sorted.size() && fit < max) {
        long next = bytesOf(sorted.get(fit).entries());
        if (fit > 0 && fitBytes + next > Replicator.MAX_INTERVAL_BYTES) {
          break;
        }
        fitBytes += next;
        fit++;
      }
      long cut =
          fit < sorted.size() ? sorted.get(fit).sub() : sorted.get(sorted.size() - 1).sub() + 1;
      if (cut == sorted.get(0).sub()) {
        cut++; // degenerate: all share one position; send them together
      }
      for (Item<K, V> i : sorted) {
        if (i.sub() < cut) {
          entries.put(i.key(), i.entries());
        }
      }
      partial = b;
      partialFrom = from;
      partialTo = cut;
      nextBucket = b;
      nextResume = cut;
      break;
    }
    BitSet remaining = new BitSet();
    if (nextBucket >= 0) {
      remaining = (BitSet) wanted.clone();
      remaining.clear(0, nextBucket);
    }
    return new SyncChunk<>(
        new SyncScope(covered, partial, partialFrom, partialTo),
        entries,
        map.context(),
        remaining,
        nextResume);
  }
}
