package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import java.util.function.LongSupplier;

/**
 * A hybrid logical clock (Kulkarni et al., <i>Logical Physical Clocks</i>, OPODIS 2014), packed
 * into one {@code long}: the upper 48 bits are physical milliseconds, the lower 16 a logical
 * counter. Timestamps it issues are strictly increasing, never below the physical time source, and
 * above every timestamp it has {@linkplain #observe(long) observed}, so a write that causally
 * follows another always carries a greater timestamp even when its node's wall clock is behind.
 *
 * <p>Not thread-safe: owned by the map's thread. The physical source is injected so that tests can
 * drive time; it is read only by {@link #now()}.
 */
public final class Hlc {
  static final int LOGICAL_BITS = 16;

  private final LongSupplier physicalMillis;
  private long last;

  /**
   * A clock reading physical time from {@code physicalMillis}.
   *
   * @param physicalMillis milliseconds since the epoch (for instance {@code
   *     System::currentTimeMillis})
   * @throws NullPointerException if {@code physicalMillis} is null
   */
  public Hlc(LongSupplier physicalMillis) {
    this.physicalMillis = requireNonNull(physicalMillis, "physicalMillis");
  }

  /** A timestamp greater than every one issued or observed before. */
  public long now() {
    long physical = physicalMillis.getAsLong() << LOGICAL_BITS;
    last = physical > last ? physical : last + 1;
    return last;
  }

  /**
   * Records a timestamp seen in a remote write, so later local timestamps exceed it. Reads no
   * clock.
   */
  public void observe(long timestamp) {
    if (timestamp > last) {
      last = timestamp;
    }
  }

  /** The greatest timestamp issued or observed so far. */
  public long last() {
    return last;
  }

  /** The physical milliseconds part of a timestamp. */
  public static long physicalMillis(long timestamp) {
    return timestamp >>> LOGICAL_BITS;
  }

  /** The logical counter part of a timestamp. */
  public static int logical(long timestamp) {
    return (int) (timestamp & ((1L << LOGICAL_BITS) - 1));
  }
}
