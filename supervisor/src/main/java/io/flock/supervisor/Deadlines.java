package io.flock.supervisor;

import io.flock.supervisor.MessageException.Outcome;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fails the calls (tells and asks) still unanswered at their deadline with {@link
 * Outcome#TIMED_OUT}, without a timer per call. Calls made with the same timeout have deadlines in
 * the order they are made, so each timeout has its lane, a queue swept from its head; one sweep
 * every {@link #SWEEP} while any lane holds calls serves them all (membership's endpoint requests
 * use the same scheme). A timer per call ({@code CompletableFuture.orTimeout}) woke the JDK's delay
 * scheduler for every message: about 6 % of a tell's cost, and with the two other timers an ask
 * had, 27 µs of its round trip here. A call fails at most two sweeps after its deadline (see {@link
 * #laneOf}). A call held back (its child moving) keeps those behind it in its lane, answered or
 * not: past {@link #COMPACT_AT} a sweep drops the answered ones wherever they are, so a lane stays
 * about as long as the calls still waiting.
 *
 * <p>Threading: any thread.
 */
final class Deadlines {
  /** How often the lanes are swept while they hold calls. */
  static final Duration SWEEP = Duration.ofMillis(20);

  /** The lane length past which a sweep drops answered calls behind an unanswered head. */
  static final int COMPACT_AT = 10_000;

  private record Waiting(long deadline, Duration timeout, CompletableFuture<?> result) {}

  /** The calls of one timeout, in the order made. */
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

  /**
   * Fails {@code result} if it is not complete by {@code deadline} (nanoTime, made with {@code
   * timeout}).
   */
  void add(Duration timeout, long deadline, CompletableFuture<?> result) {
    var unused =
        lanes.compute(
            laneOf(timeout),
            (t, lane) -> {
              Lane l = lane == null ? new Lane(t) : lane;
              l.queue.add(new Waiting(deadline, timeout, result));
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
      armed.set(false); // whatever happened, the next call (or the rest) is swept again
      arm();
    }
  }

  private static void sweep(Lane lane, long now) {
    for (Waiting w; (w = lane.queue.peek()) != null; ) {
      if (!w.result().isDone() && w.deadline() - now > 0) {
        break;
      }
      lane.queue.poll();
      lane.size.decrementAndGet();
      if (!w.result().isDone()) {
        w.result()
            .completeExceptionally(
                new MessageException(Outcome.TIMED_OUT, "no outcome within " + w.timeout()));
      }
    }
    if (lane.size.get() > COMPACT_AT) {
      for (Iterator<Waiting> it = lane.queue.iterator(); it.hasNext(); ) {
        if (it.next().result().isDone()) {
          it.remove();
          lane.size.decrementAndGet();
        }
      }
    }
  }

  /** The calls queued (answered ones included until a sweep drops them). */
  int queued() {
    int n = 0;
    for (Lane lane : lanes.values()) {
      n += lane.size.get();
    }
    return n;
  }

  /** The lanes (one per timeout in use, to a sweep). */
  int lanes() {
    return lanes.size();
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
