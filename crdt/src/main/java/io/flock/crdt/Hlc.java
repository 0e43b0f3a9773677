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
 * <p>Drift bound: a remote timestamp more than {@code maxOffsetMillis} ahead of this node's
 * physical time (CockroachDB's default is 500 ms) does not drag this clock with it: the clock
 * advances to at most physical time + the offset, and the event is counted ({@link #clamped()}), so
 * one node with a clock far ahead cannot pull every node's timestamps forward, and the packed value
 * can never overflow.
 *
 * <p>Not thread-safe: owned by the map's thread. The physical source is injected so that tests can
 * drive time.
 */
public final class Hlc {
  static final int LOGICAL_BITS = 16;

  /** The default drift bound: 500 ms. */
  public static final long DEFAULT_MAX_OFFSET_MILLIS = 500;

  private final LongSupplier physicalMillis;
  private final long maxOffsetMillis;
  private long last;
  private final java.util.concurrent.atomic.AtomicLong clamped =
      new java.util.concurrent.atomic.AtomicLong(); // read by meters on other threads

  /**
   * A clock reading physical time from {@code physicalMillis}, with the default drift bound.
   *
   * @param physicalMillis milliseconds since the epoch (for instance {@code
   *     System::currentTimeMillis})
   * @throws NullPointerException if {@code physicalMillis} is null
   */
  public Hlc(LongSupplier physicalMillis) {
    this(physicalMillis, DEFAULT_MAX_OFFSET_MILLIS);
  }

  /**
   * A clock reading physical time from {@code physicalMillis} that follows remote timestamps at
   * most {@code maxOffsetMillis} ahead of it.
   *
   * @throws IllegalArgumentException if {@code maxOffsetMillis} is negative
   */
  public Hlc(LongSupplier physicalMillis, long maxOffsetMillis) {
    this.physicalMillis = requireNonNull(physicalMillis, "physicalMillis");
    if (maxOffsetMillis < 0) {
      throw new IllegalArgumentException("maxOffsetMillis must be >= 0, was " + maxOffsetMillis);
    }
    this.maxOffsetMillis = maxOffsetMillis;
  }

  /** A timestamp greater than every one issued or observed before. */
  public long now() {
    long physical = physicalMillis.getAsLong() << LOGICAL_BITS;
    last = physical > last ? physical : last + 1;
    return last;
  }

  /**
   * Records a timestamp seen in a remote write, so later local timestamps exceed it; one further
   * ahead than the drift bound advances this clock only to the bound, and is counted.
   */
  public void observe(long timestamp) {
    if (timestamp <= last) {
      return;
    }
    long bound = ((physicalMillis.getAsLong() + maxOffsetMillis + 1) << LOGICAL_BITS) - 1;
    if (timestamp > bound || timestamp < 0) {
      clamped.incrementAndGet();
      if (bound > last) {
        last = bound;
      }
      return;
    }
    last = timestamp;
  }

  /** How many observed timestamps were beyond the drift bound. */
  public long clamped() {
    return clamped.get();
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
