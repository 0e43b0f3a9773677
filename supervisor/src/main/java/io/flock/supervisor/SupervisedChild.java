package io.flock.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;

/**
 * One child of a {@link LocalSupervisor}: its spec and generation, its state, the incarnation
 * running now (its context and thread), the timer pending for it (a restart or a shutdown timeout)
 * and the callers waiting for it to stop.
 *
 * <p>Not thread-safe: only the supervisor thread touches it.
 */
final class SupervisedChild {
  /** The context of one incarnation, with the child it belongs to. */
  static final class Context extends IncarnationContext {
    final SupervisedChild child;

    Context(
        SupervisedChild child,
        int incarnation,
        String node,
        BiPredicate<String, Long> currency,
        Mailboxes mailboxes,
        CheckpointStore checkpoints) {
      super(child.spec, child.generation, incarnation, node, currency, mailboxes, checkpoints);
      this.child = child;
    }
  }

  final ChildSpec spec;
  final long generation;
  int incarnation;
  ChildState state = ChildState.STARTING;
  @Nullable Context context;
  @Nullable Thread thread;
  @Nullable ScheduledFuture<?> pending; // restart or shutdown timeout
  final List<CompletableFuture<Void>> stopWaiters = new ArrayList<>(1);

  SupervisedChild(ChildSpec spec, long generation) {
    this.spec = spec;
    this.generation = generation;
  }

  ChildInfo info() {
    return new ChildInfo(spec.id(), state, spec.restart(), incarnation, generation);
  }

  void move(ChildState next) {
    state = state.moveTo(next);
  }

  /** Moves to STOPPING and asks the running incarnation to stop (its flag and an interrupt). */
  void requestStop() {
    move(ChildState.STOPPING);
    Context c = context;
    if (c != null) {
      c.requestStop();
    }
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  /** Gives up on the running incarnation: its exit, if it ever comes, is ignored. */
  void detach() {
    context = null;
    thread = null;
  }

  /** Cancels the pending timer and tells every caller waiting for the stop. */
  void stopped() {
    ScheduledFuture<?> p = pending;
    if (p != null) {
      p.cancel(false);
    }
    stopWaiters.forEach(f -> f.complete(null));
    stopWaiters.clear();
  }
}
