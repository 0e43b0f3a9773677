package io.flock.supervisor;

import io.flock.supervisor.SupervisorEvent.MoveCause;
import org.jspecify.annotations.Nullable;

/**
 * Turns one change of a child's replicated placement into the cluster-wide event it means: placed,
 * moved (claimed, handed over, or lost a conflict) or ended. A pure function of the two values:
 * every rewrite raises the generation (a claim, a hand-over, a terminate marker), so a change that
 * keeps the generation but not the writer is two concurrent placements meeting.
 */
final class PlacementEvents {
  private PlacementEvents() {}

  /** The event for {@code id} changing from {@code old} to {@code now}, or null if none. */
  static @Nullable SupervisorEvent of(String id, @Nullable Placement old, @Nullable Placement now) {
    @Nullable Placement was = old != null && !old.terminated() ? old : null;
    @Nullable Placement is = now != null && !now.terminated() ? now : null;
    if (was == null) {
      return is == null ? null : new SupervisorEvent.Placed(id, is.ref(), is.by());
    }
    if (is == null) {
      return new SupervisorEvent.Ended(id, was.ref());
    }
    if (was.node().equals(is.node()) && was.generation() == is.generation()) {
      return null; // the same copy, rewritten without a move
    }
    MoveCause cause =
        is.generation() == was.generation()
            ? MoveCause.CONFLICT
            : is.by().equals(was.node()) ? MoveCause.HANDED_OVER : MoveCause.CLAIMED;
    return new SupervisorEvent.Moved(id, was.ref(), is.ref(), cause, is.by());
  }
}
