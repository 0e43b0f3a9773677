package io.flock.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * A measure repeated in rounds, as JMH does: the first rounds run while the JIT still compiles the
 * path (on this 2-core machine a burst of 10,000 registrations took 0.6 s in its first round and
 * 0.06–0.1 s from about the tenth), so they are run unmeasured and the rest are summarised. The
 * first round is kept too: it is what a freshly started service sees.
 *
 * <p>Not thread-safe: one benchmark thread.
 */
final class Rounds {
  private Rounds() {}

  /** One round; returns the value it measured (nanoseconds, or a count, as the caller reads it). */
  @FunctionalInterface
  interface Round {
    long run(int round, boolean last) throws Exception;
  }

  /** The values of the measured rounds, and of the first (cold) round. */
  record Summary(long first, long median, long min, long max, int measured) {
    /** "median 61 ms (56–98 ms over 5 rounds after 8 unmeasured; the first round: 687 ms)". */
    String describe(java.util.function.LongFunction<String> format, int warmups) {
      return String.format(
          Locale.ROOT,
          "median %s (%s–%s over %d rounds after %d unmeasured; the first round: %s)",
          format.apply(median),
          format.apply(min),
          format.apply(max),
          measured,
          warmups,
          format.apply(first));
    }
  }

  /**
   * Runs {@code warmups} rounds unmeasured (the first one's value is kept), then {@code measured}.
   */
  static Summary run(int warmups, int measured, Round round) throws Exception {
    if (warmups < 1 || measured < 1) {
      throw new IllegalArgumentException("warmups and measured must be positive");
    }
    long first = round.run(0, false);
    for (int i = 1; i < warmups; i++) {
      var unused = round.run(i, false);
    }
    long[] values = new long[measured];
    for (int i = 0; i < measured; i++) {
      values[i] = round.run(warmups + i, i == measured - 1);
    }
    Arrays.sort(values);
    return new Summary(first, values[measured / 2], values[0], values[measured - 1], measured);
  }
}
