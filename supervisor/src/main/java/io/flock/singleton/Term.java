package io.flock.singleton;

import io.flock.membership.ClusterEvent;
import io.flock.supervisor.Child;
import io.flock.supervisor.ChildContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leadership term: the singleton's child. Its run is the term: {@link Leader#onLeader}, then
 * the cluster changes and timer ticks as they come, then {@link Leader#onShutdown} once the
 * supervisor asks it to stop (lease lost, hand-over, a newer placement) — all on the child's
 * thread, so the supervisor's guarantee (the old copy stopped before the new one starts) is the
 * leadership guarantee. A callback that throws is logged and the term goes on.
 *
 * <p>Threading: {@link #offer} from any thread; everything else on the term's thread.
 */
final class Term implements Child, LeaderContext {
  private static final Logger log = LoggerFactory.getLogger(Term.class);
  private static final long NO_TIMER = Long.MIN_VALUE;

  private final Activator activator;
  private final LinkedBlockingQueue<ClusterEvent> events = new LinkedBlockingQueue<>();
  private @Nullable ChildContext ctx;
  private Instant since = Instant.EPOCH;
  private long seq;

  Term(Activator activator) {
    this.activator = activator;
  }

  /** A membership change for the leader (any thread). */
  void offer(ClusterEvent event) {
    events.add(event);
  }

  @Override
  public void run(ChildContext context) throws Exception {
    this.ctx = context;
    this.since = Instant.now();
    try {
      // Not current may be passing (a node that just rejoined has no lease yet): wait until
      // admitted, or until the supervisor stops this copy (it was superseded).
      while (!activator.admission().admit(() -> record(Map.of()), context::isCurrent)) {
        if (context.stopRequested()) {
          withdraw();
          return;
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException | RuntimeException notAdmitted) {
      withdraw();
      throw notAdmitted;
    }
    this.since = Instant.now();
    Leader leader;
    try {
      leader = activator.newLeader();
    } catch (RuntimeException supplierFailed) { // the local supervisor restarts this term
      withdraw();
      throw supplierFailed;
    }
    activator.began(this);
    try {
      contained(leader, "onLeader", () -> leader.onLeader(this));
      publish(leader);
      long nextAt = next(leader);
      while (!context.stopRequested()) {
        long wait = nextAt == NO_TIMER ? Long.MAX_VALUE : nextAt - System.nanoTime();
        ClusterEvent event = wait > 0 ? events.poll(wait, TimeUnit.NANOSECONDS) : null;
        if (event != null) {
          contained(leader, "onClusterChange", () -> leader.onClusterChange(this, event));
          publish(leader);
        } else if (nextAt != NO_TIMER && System.nanoTime() - nextAt >= 0) {
          contained(leader, "onTimer", () -> leader.onTimer(this));
          nextAt = next(leader);
          publish(leader);
        }
      }
    } catch (InterruptedException endOfTerm) {
      // the supervisor stops this term
    } finally {
      boolean unused = Thread.interrupted(); // onShutdown runs with the interrupt cleared
      ShutdownReason reason = activator.reasonFor();
      try {
        contained(leader, "onShutdown", () -> leader.onShutdown(this, reason));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        withdraw();
        activator.ended(this, reason);
      }
    }
  }

  /** Withdraws this term's record (it ends, or never began). */
  private void withdraw() {
    activator.admission().withdraw(record(Map.of()));
  }

  /** Runs a callback; logs what it throws (an interrupt ends the term). */
  private void contained(Leader leader, String what, Callback callback)
      throws InterruptedException {
    try {
      callback.call();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      log.warn(
          "[{}] singleton {}: {}.{} threw", node(), name(), leader.getClass().getName(), what, e);
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private long next(Leader leader) {
    Duration d;
    try {
      d = leader.nextTimer();
    } catch (RuntimeException e) {
      log.warn("[{}] singleton {}: nextTimer threw; no timer", node(), name(), e);
      return NO_TIMER;
    }
    return d == null ? NO_TIMER : System.nanoTime() + Math.max(0, d.toNanos());
  }

  private void publish(Leader leader) {
    if (!isCurrent()) {
      return;
    }
    Map<String, String> dump;
    try {
      dump = leader.dump();
    } catch (RuntimeException e) {
      log.warn("[{}] singleton {}: dump threw; publishing none", node(), name(), e);
      dump = Map.of();
    }
    activator.publish(record(dump));
  }

  private LeaderRecord record(Map<String, String> dump) {
    ChildContext c = context();
    return new LeaderRecord(
        activator.self(),
        c.generation(),
        c.incarnation(),
        ++seq,
        since.toEpochMilli(),
        System.currentTimeMillis(),
        dump);
  }

  private ChildContext context() {
    ChildContext c = ctx;
    if (c == null) {
      throw new IllegalStateException("the term has not begun");
    }
    return c;
  }

  @Override
  public String name() {
    return activator.name();
  }

  @Override
  public String node() {
    return context().node();
  }

  @Override
  public long generation() {
    return context().generation();
  }

  @Override
  public Instant since() {
    return since;
  }

  @Override
  public boolean isCurrent() {
    return context().isCurrent();
  }

  @Override
  public void ensureCurrent() {
    context().ensureCurrent();
  }

  @Override
  public Logger log() {
    return context().log();
  }

  @FunctionalInterface
  private interface Callback {
    void call() throws Exception;
  }
}
