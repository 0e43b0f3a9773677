package io.flock.supervisor;

import io.flock.supervisor.MessageException.Outcome;
import java.time.Duration;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fails the tells still unanswered at their deadline with {@link Outcome#TIMED_OUT}. Every tell has
 * the same timeout, so deadlines come in the order the tells do: one queue swept from its head
 * every {@link #SWEEP} while it holds any replaces a timer per tell (which, with {@code
 * CompletableFuture.orTimeout}, woke the JDK's delay scheduler for every message of a burst). A
 * tell fails at most one sweep after its deadline. A tell held back (its child moving) keeps those
 * behind it in the queue, answered or not: past {@link #COMPACT_AT} a sweep drops the answered ones
 * wherever they are, so the queue stays about as long as the tells still waiting.
 *
 * <p>Threading: any thread.
 */
final class TellDeadlines {
  /** How often the queue is swept while it holds tells. */
  static final Duration SWEEP = Duration.ofMillis(20);

  private record Waiting(long deadline, CompletableFuture<Object> result) {}

  /** The queue length past which a sweep drops answered tells behind an unanswered head. */
  static final int COMPACT_AT = 10_000;

  private final Duration timeout;
  private final Queue<Waiting> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicBoolean armed = new AtomicBoolean();

  /** Deadlines of tells that time out after {@code timeout}. */
  TellDeadlines(Duration timeout) {
    this.timeout = timeout;
  }

  /** Fails {@code result} if it is not complete by {@code deadline} (nanoTime). */
  void add(long deadline, CompletableFuture<Object> result) {
    queue.add(new Waiting(deadline, result));
    size.incrementAndGet();
    arm();
  }

  private void arm() {
    if (!queue.isEmpty() && armed.compareAndSet(false, true)) {
      CompletableFuture.delayedExecutor(SWEEP.toNanos(), TimeUnit.NANOSECONDS).execute(this::sweep);
    }
  }

  private void sweep() {
    try {
      long now = System.nanoTime();
      for (Waiting w; (w = queue.peek()) != null; ) {
        if (!w.result().isDone() && w.deadline() - now > 0) {
          break;
        }
        queue.poll();
        size.decrementAndGet();
        if (!w.result().isDone()) {
          w.result()
              .completeExceptionally(
                  new MessageException(Outcome.TIMED_OUT, "no outcome within " + timeout));
        }
      }
      if (size.get() > COMPACT_AT) {
        for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
          if (it.next().result().isDone()) {
            it.remove();
            size.decrementAndGet();
          }
        }
      }
    } finally {
      armed.set(false); // whatever happened, the next tell (or the rest) is swept again
      arm();
    }
  }

  /** The tells queued (answered ones included until a sweep drops them). */
  int queued() {
    return size.get();
  }
}
