package io.flock.crdt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The replicator's delta buffer: a ring with O(1) access by position, so sending the deltas after a
 * neighbour's acknowledged sequence number costs only those deltas, however many are buffered. Not
 * thread-safe.
 */
final class DeltaRing<K, V> {
  private @Nullable Object[] items = new Object[16];
  private int[] bytes =
      new int[16]; // each delta's encoded size, as its writer gave it (0: unknown)
  private int head;
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  void addLast(Delta<K, V> delta, int deltaBytes) {
    if (size == items.length) {
      @Nullable Object[] bigger = new Object[items.length * 2];
      int[] biggerBytes = new int[items.length * 2];
      for (int i = 0; i < size; i++) {
        bigger[i] = items[(head + i) % items.length];
        biggerBytes[i] = bytes[(head + i) % items.length];
      }
      items = bigger;
      bytes = biggerBytes;
      head = 0;
    }
    items[(head + size) % items.length] = delta;
    bytes[(head + size) % items.length] = deltaBytes;
    size++;
  }

  /** The encoded size the writer gave for the {@code i}-th delta (0 when it gave none). */
  int bytes(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(i);
    }
    return bytes[(head + i) % items.length];
  }

  /** The {@code i}-th buffered delta, 0 being the oldest. */
  @SuppressWarnings("unchecked")
  Delta<K, V> get(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(i);
    }
    return (Delta<K, V>) java.util.Objects.requireNonNull(items[(head + i) % items.length]);
  }

  /**
   * The buffered deltas of sequence numbers {@code from} (inclusive) to {@code to} (exclusive) as
   * delta intervals of at most {@code maxKeys} keys and {@code maxBytes} bytes each (a delta larger
   * than that goes alone); {@code first} is the sequence number of the oldest buffered delta.
   */
  List<ReplicationMessage.DeltaInterval<K, V>> intervals(
      long first, long from, long to, int maxKeys, long maxBytes) {
    List<ReplicationMessage.DeltaInterval<K, V>> out = new ArrayList<>();
    long start = from;
    List<Delta<K, V>> group = new ArrayList<>();
    int keys = 0;
    long groupBytes = 0;
    for (long s = from; s < to; s++) {
      Delta<K, V> next = get((int) (s - first));
      int nextBytes = bytes((int) (s - first));
      if (keys > 0 && (keys + next.keys().size() > maxKeys || groupBytes + nextBytes > maxBytes)) {
        out.add(new ReplicationMessage.DeltaInterval<>(start, s, Delta.joinAll(group)));
        start = s;
        group = new ArrayList<>();
        keys = 0;
        groupBytes = 0;
      }
      group.add(next);
      keys += next.keys().size();
      groupBytes += nextBytes;
    }
    out.add(new ReplicationMessage.DeltaInterval<>(start, to, Delta.joinAll(group)));
    return out;
  }

  /** Drops the oldest delta. */
  void removeFirst() {
    if (size == 0) {
      throw new IllegalStateException("empty");
    }
    items[head] = null;
    head = (head + 1) % items.length;
    size--;
    if (size == 0) {
      Arrays.fill(items, null);
      head = 0;
    }
  }
}
