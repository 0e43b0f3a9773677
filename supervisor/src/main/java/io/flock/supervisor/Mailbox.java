package io.flock.supervisor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The bounded queue of the messages for one placement (child id and generation) on this node: kept
 * across local restarts, forwarded on a graceful hand-over, dropped when the child ends or moves.
 *
 * <p>Threading: any thread.
 */
final class Mailbox {
  /** The default capacity: messages queued and not yet received. */
  static final int DEFAULT_CAPACITY = 1_000;

  private final long generation;
  private final LinkedBlockingDeque<Envelope> queue;

  Mailbox(long generation, int capacity) {
    this.generation = generation;
    this.queue = new LinkedBlockingDeque<>(capacity);
  }

  long generation() {
    return generation;
  }

  /** Queues {@code e}; false when full. */
  boolean offer(Envelope e) {
    return queue.offerLast(e);
  }

  /** Puts forwarded messages ahead of what is queued, in their order (beyond the bound). */
  void prepend(List<Envelope> older) {
    for (int i = older.size() - 1; i >= 0; i--) {
      queue.addFirst(older.get(i));
    }
  }

  @Nullable Envelope poll(Duration timeout) throws InterruptedException {
    return queue.pollFirst(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Takes everything queued. */
  List<Envelope> drain() {
    List<Envelope> out = new ArrayList<>(queue.size());
    queue.drainTo(out);
    return out;
  }

  int size() {
    return queue.size();
  }
}
