package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * A value as the map stores it: the write's dot (replica and counter), its hybrid-logical-clock
 * timestamp and the value. Immutable.
 *
 * <p>The dot is kept as two fields rather than a {@link Dot} so that a stored entry is one object.
 *
 * @param replica the replica that wrote it
 * @param counter the replica's write counter, {@code >= 1}
 * @param timestamp the {@link Hlc} timestamp of the write
 * @param value the value, never null
 * @param <V> the value type
 */
public record Dotted<V>(ReplicaId replica, long counter, long timestamp, V value) {

  /**
   * Validates the components.
   *
   * @throws NullPointerException if {@code replica} or {@code value} is null
   * @throws IllegalArgumentException if {@code counter < 1}
   */
  public Dotted {
    requireNonNull(replica, "replica");
    requireNonNull(value, "value");
    if (counter < 1) {
      throw new IllegalArgumentException("counter must be >= 1, was " + counter);
    }
  }

  /** This entry's dot. */
  public Dot dot() {
    return new Dot(replica, counter);
  }

  boolean sameDot(Dotted<?> other) {
    return counter == other.counter && replica.equals(other.replica);
  }

  /**
   * Last-writer-wins order: the greater timestamp wins; equal timestamps are broken by replica id,
   * then counter, so the order is total and the same on every replica.
   */
  boolean winsOver(Dotted<?> other) {
    if (timestamp != other.timestamp) {
      return timestamp > other.timestamp;
    }

    int byReplica = replica.compareTo(other.replica);
    return byReplica != 0 ? byReplica > 0 : counter > other.counter;
  }

  /**
   * The map's order for concurrent entries: {@code order} over the values first (the greater wins),
   * then {@link #winsOver(Dotted)}: ties fall back to last-writer-wins, so the order stays total
   * and the same on every replica.
   */
  boolean winsOver(Dotted<V> other, @Nullable Comparator<? super V> order) {
    if (order != null) {
      int byValue = order.compare(value, other.value);
      if (byValue != 0) {
        return byValue > 0;
      }
    }
    return winsOver(other);
  }
}
