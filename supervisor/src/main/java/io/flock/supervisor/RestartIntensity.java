package io.flock.supervisor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * OTP's restart intensity: more than {@code maxRestarts} restarts within {@code window} make the
 * supervisor give up. Keeps the times of the restarts inside the window only. Supervisor thread
 * only.
 */
final class RestartIntensity {
  private final int maxRestarts;
  private final Duration window;
  private final LongSupplier nanoClock;
  private final ArrayDeque<Long> restarts = new ArrayDeque<>();

  RestartIntensity(int maxRestarts, Duration window, LongSupplier nanoClock) {
    this.maxRestarts = maxRestarts;
    this.window = window;
    this.nanoClock = nanoClock;
  }

  /** Counts a restart now; whether the restarts within the window are now too many. */
  boolean restartIsTooMany() {
    long now = nanoClock.getAsLong();
    long horizon = now - window.toNanos();
    while (!restarts.isEmpty() && restarts.peekFirst() <= horizon) {
      restarts.pollFirst();
    }
    restarts.addLast(now);
    return restarts.size() > maxRestarts;
  }

  /** The restarts within the window, as last counted. */
  int recent() {
    return restarts.size();
  }

  int maxRestarts() {
    return maxRestarts;
  }

  Duration window() {
    return window;
  }
}
