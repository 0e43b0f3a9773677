package io.flock.membership.internal.router;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ends the requests still waiting at their deadline, without a timer per request. Requests made
 * with the same deadline {@link Duration} expire in the order they are made, so each has its lane,
 * a queue swept from its head; one sweep every {@link #SWEEP} while any lane holds requests serves
 * them all, on a thread that does not depend on the core. A timer per request ({@code
 * CompletableFuture.delayedExecutor}) woke the JDK's delay scheduler for every request. A request
 * ends at most two sweeps after its deadline (see {@link #laneOf}). Answered requests leave their
 * lane when they reach its head, or, past {@link #COMPACT_AT}, at the next sweep.
 *
 * <p>Threading: any thread.
 */
final class RequestDeadlines {
  /** How often the lanes are swept while they hold requests. */
  static final Duration SWEEP = Duration.ofMillis(20);

  /** The lane length past which a sweep drops answered requests behind a waiting head. */
  static final int COMPACT_AT = 10_000;

  /** What a lane holds: whether it was answered, and how it ends at its deadline. */
  interface Waiting {
    /** The nanoTime by which it ends. */
    long deadline();

    /** Whether it ended already (answered, failed). */
    boolean ended();

    /** Ends it at its deadline (a no-op if it ended meanwhile). */
    void expire();
  }

  private static final class Lane {
    final long key;
    final Queue<Waiting> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger size = new AtomicInteger();

    Lane(long key) {
      this.key = key;
    }
  }

  private final Map<Long, Lane> lanes = new ConcurrentHashMap<>();
  private final AtomicBoolean armed = new AtomicBoolean();

  /** Ends {@code w} at its deadline, made with {@code timeout}, unless it ended before. */
  void add(Duration timeout, Waiting w) {
    var unused =
        lanes.compute(
            laneOf(timeout),
            (t, lane) -> {
              Lane l = lane == null ? new Lane(t) : lane;
              l.queue.add(w);
              l.size.incrementAndGet();
              return l;
            });
    arm();
  }

  /**
   * The lane of a timeout: timeouts within one sweep of each other share it (callers that pass what
   * is left of a deadline would otherwise make a lane per call), so a later call's deadline can
   * precede an earlier one's by up to a sweep: it then ends up to one more sweep late.
   */
  private static long laneOf(Duration timeout) {
    long sweep = SWEEP.toNanos();
    return (timeout.toNanos() + sweep - 1) / sweep;
  }

  private void arm() {
    if (!lanes.isEmpty() && armed.compareAndSet(false, true)) {
      var unused =
          Sweeper.THREAD.schedule((Runnable) this::sweep, SWEEP.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void sweep() {
    try {
      long now = System.nanoTime();
      for (Lane lane : lanes.values()) {
        sweep(lane, now);
        var unused = lanes.computeIfPresent(lane.key, (k, l) -> l.queue.isEmpty() ? null : l);
      }
    } finally {
      armed.set(false); // whatever a request's callbacks did, the rest is swept again
      arm();
    }
  }

  private static void sweep(Lane lane, long now) {
    for (Waiting w; (w = lane.queue.peek()) != null; ) {
      boolean ended = w.ended();
      if (!ended && w.deadline() - now > 0) {
        break;
      }
      lane.queue.poll();
      lane.size.decrementAndGet();
      if (!ended) {
        w.expire();
      }
    }
    if (lane.size.get() > COMPACT_AT) {
      for (Iterator<Waiting> it = lane.queue.iterator(); it.hasNext(); ) {
        if (it.next().ended()) {
          it.remove();
          lane.size.decrementAndGet();
        }
      }
    }
  }

  /** Requests in the lanes (answered ones included until a sweep drops them). */
  int queued() {
    int n = 0;
    for (Lane lane : lanes.values()) {
      n += lane.size.get();
    }
    return n;
  }

  /**
   * The one daemon thread that sweeps (made on first use; idle between sweeps, and no sweep is due
   * while nothing waits). Not the JDK's delay thread or the common pool: with 2 cores the common
   * pool has one worker, one blocked task there held every deadline, and sweeps on the JDK's delay
   * thread still missed their time now and then (a unit test waited 5 s for one, about one run in
   * six; not understood, so not relied on).
   */
  private static final class Sweeper {
    static final java.util.concurrent.ScheduledExecutorService THREAD =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "flock-deadlines");
              t.setDaemon(true);
              return t;
            });
  }
}
