package io.flock.membership.internal.lease;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fences on time, without the core thread: a thread of its own wakes when the lease is due to
 * expire, and if it did, runs the fences (stop work now) and then tells the core. A stalled or busy
 * core cannot delay it. One wake-up per lease period while the lease is renewed.
 */
public final class LeaseWatchdog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseWatchdog.class);

  private final String node;
  private final Lease lease;
  private final Runnable onLost;
  private final List<Runnable> fences = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer;
  private ScheduledFuture<?> next;

  /**
   * @param onLost told after the fences ran (it hands the event to the core)
   */
  public LeaseWatchdog(String node, Lease lease, Runnable onLost) {
    this.node = node;
    this.lease = lease;
    this.onLost = onLost;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "flock-lease-" + node);
              t.setDaemon(true);
              return t;
            });
    this.next = timer.schedule(() -> {}, 0, TimeUnit.NANOSECONDS);
  }

  /** Adds an action run on this thread the moment the lease is found lapsed. */
  public void fence(Runnable action) {
    fences.add(action);
  }

  /** Wakes at the lease's expiry (call after it was regained). */
  public synchronized void arm() {
    if (timer.isShutdown()) {
      return;
    }
    next.cancel(false);
    long delay = lease.remainingNanos();
    next = timer.schedule(this::check, delay, TimeUnit.NANOSECONDS);
  }

  /** Checks now, on this thread (the lease was revoked: fence without waiting for the expiry). */
  public synchronized void checkNow() {
    if (!timer.isShutdown()) {
      next.cancel(false);
      timer.execute(this::check);
    }
  }

  private void check() {
    if (lease.isValid()) {
      arm(); // renewed meanwhile: sleep until the new expiry
      return;
    }
    if (!lease.lapsed()) {
      return;
    }
    for (Runnable f : fences) {
      try {
        f.run();
      } catch (RuntimeException e) {
        log.warn("[{}] a lease fence failed", node, e);
      }
    }
    onLost.run();
  }

  @Override
  public synchronized void close() {
    timer.shutdownNow();
  }
}
