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
  private boolean direct; // guarded by this: the receiver may queue here without its core

  /** What {@link #offerDirect} did. */
  enum Direct {
    QUEUED,
    FULL,
    /** Not open to letters off the core (not yet admitted there, drained, or stale). */
    CLOSED
  }

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

  /**
   * Core thread, once a letter for this copy was admitted there (placed here at this generation,
   * not moving): later letters may be queued by {@link #offerDirect} without the core.
   */
  synchronized void allowDirect() {
    direct = true;
  }

  /** Core thread: letters go through the core again until it allows them once more. */
  synchronized void refuseDirect() {
    direct = false;
  }

  /**
   * Queues {@code e} if letters may skip the core here. Atomic with {@link #drain}: what is queued
   * is drained (forwarded or failed), or refused.
   */
  synchronized Direct offerDirect(Envelope e) {
    if (!direct) {
      return Direct.CLOSED;
    }
    return queue.offerLast(e) ? Direct.QUEUED : Direct.FULL;
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

  /** Takes everything queued, and closes the box to {@link #offerDirect}. */
  synchronized List<Envelope> drain() {
    direct = false;
    List<Envelope> out = new ArrayList<>(queue.size());
    queue.drainTo(out);
    return out;
  }

  int size() {
    return queue.size();
  }
}
