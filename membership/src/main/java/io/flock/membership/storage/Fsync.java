package io.flock.membership.storage;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * When a durable log is forced from the operating system to the device. Every record is written to
 * the operating system before the change it carries is acknowledged to anyone, so a killed process
 * ({@code kill -9}) loses nothing under any policy; the policy is about losing power or the
 * operating system.
 *
 * @param interval how often a log with unforced records is forced; {@link Duration#ZERO} forces
 *     every record before its write returns; null never forces (the operating system decides)
 */
public record Fsync(@org.jspecify.annotations.Nullable Duration interval) {
  /** The default: forced every 100 ms, so a power loss loses at most the last 100 ms. */
  public static final Fsync DEFAULT = new Fsync(Duration.ofMillis(100));

  /**
   * Validates.
   *
   * @throws IllegalArgumentException if {@code interval} is negative
   */
  public Fsync {
    if (interval != null && interval.isNegative()) {
      throw new IllegalArgumentException("interval must not be negative, was " + interval);
    }
  }

  /** Every record is forced before its write returns (slowest; loses nothing on power loss). */
  public static Fsync everyWrite() {
    return new Fsync(Duration.ZERO);
  }

  /**
   * Logs with unforced records are forced every {@code interval} by a background thread.
   *
   * @throws NullPointerException if {@code interval} is null
   * @throws IllegalArgumentException if {@code interval} is not positive
   */
  public static Fsync every(Duration interval) {
    requireNonNull(interval, "interval");
    if (interval.isZero() || interval.isNegative()) {
      throw new IllegalArgumentException("interval must be positive, was " + interval);
    }
    return new Fsync(interval);
  }

  /** Never forced by Flock: the operating system writes back when it chooses. */
  public static Fsync never() {
    return new Fsync(null);
  }

  boolean everyWriteForced() {
    return interval != null && interval.isZero();
  }
}
