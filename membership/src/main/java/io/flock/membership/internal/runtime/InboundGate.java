package io.flock.membership.internal.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Inbound backpressure between the I/O threads and the core: while more than {@code high} messages
 * wait for the core, reading from the sockets stops (TCP then slows the senders); it resumes below
 * {@code low}. So a slow core never makes its queue grow without bound.
 *
 * <p>Threading: {@link #enter} on I/O threads, {@link #leave} on the core.
 */
public final class InboundGate {
  private final int high;
  private final int low;
  private final Consumer<Boolean> reading;
  private final AtomicInteger backlog = new AtomicInteger();
  private volatile boolean paused;

  /**
   * @param reading turns reading on ({@code true}) or off
   */
  public InboundGate(int high, int low, Consumer<Boolean> reading) {
    if (low < 0 || low >= high) {
      throw new IllegalArgumentException("need 0 <= low < high, was " + low + ", " + high);
    }
    this.high = high;
    this.low = low;
    this.reading = reading;
  }

  /** A message was handed to the core. */
  public void enter() {
    if (backlog.incrementAndGet() > high && !paused) {
      paused = true;
      reading.accept(false);
    }
  }

  /** The core took a message. */
  public void leave() {
    if (backlog.decrementAndGet() < low && paused) {
      paused = false;
      reading.accept(true);
    }
  }

  /** Messages handed over and not yet taken. */
  public int backlog() {
    return backlog.get();
  }
}
