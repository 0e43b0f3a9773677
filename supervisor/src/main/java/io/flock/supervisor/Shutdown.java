package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a child is stopped. A JVM thread cannot be killed: every kind interrupts the child's thread;
 * they differ in how long the supervisor waits for it to end before it gives up on the thread,
 * reports the child as abandoned, and goes on.
 */
public sealed interface Shutdown {

  /** Interrupt and wait up to {@code timeout}. */
  record Timeout(Duration timeout) implements Shutdown {
    /**
     * Validates.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Timeout {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
      }
    }
  }

  /** Interrupt and do not wait: the child counts as stopped at once. */
  record Brutal() implements Shutdown {}

  /** Interrupt and wait for as long as the child takes (OTP's {@code :infinity}). */
  record Infinity() implements Shutdown {}

  /** A timeout shutdown. */
  static Shutdown timeout(Duration timeout) {
    return new Timeout(timeout);
  }

  /** The brutal shutdown. */
  static Shutdown brutal() {
    return new Brutal();
  }

  /** Waits without limit. */
  static Shutdown infinity() {
    return new Infinity();
  }
}
