package io.flock.supervisor;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle of a supervised child, with its allowed transitions:
 *
 * <pre>
 *  STARTING ──► RUNNING ──► EXITED (normal) ──┐
 *                  │  └───► CRASHED ──────────┤──► RESTARTING ──► STARTING
 *                  ▼                          └──► (removed: not restarted)
 *               STOPPING ──► STOPPED
 *                  └───────► ABANDONED (did not end within its shutdown timeout)
 *  RESTARTING ──► STOPPED (terminated while waiting to restart)
 * </pre>
 */
public enum ChildState {
  STARTING,
  RUNNING,
  EXITED,
  CRASHED,
  RESTARTING,
  STOPPING,
  STOPPED,
  ABANDONED;

  private static final Map<ChildState, Set<ChildState>> ALLOWED = new EnumMap<>(ChildState.class);

  static {
    ALLOWED.put(STARTING, EnumSet.of(RUNNING, CRASHED, STOPPING));
    ALLOWED.put(RUNNING, EnumSet.of(EXITED, CRASHED, STOPPING));
    ALLOWED.put(EXITED, EnumSet.of(RESTARTING));
    ALLOWED.put(CRASHED, EnumSet.of(RESTARTING));
    ALLOWED.put(RESTARTING, EnumSet.of(STARTING, STOPPED));
    ALLOWED.put(STOPPING, EnumSet.of(STOPPED, ABANDONED));
    ALLOWED.put(STOPPED, EnumSet.noneOf(ChildState.class));
    ALLOWED.put(ABANDONED, EnumSet.noneOf(ChildState.class));
  }

  /** Whether a child may move from this state to {@code next}. */
  public boolean canMoveTo(ChildState next) {
    Set<ChildState> allowed = ALLOWED.get(this);
    return allowed != null && allowed.contains(next);
  }

  /**
   * Checks a move.
   *
   * @throws IllegalStateException if the move is not in the table
   */
  ChildState moveTo(ChildState next) {
    if (!canMoveTo(next)) {
      throw new IllegalStateException("illegal child state change " + this + " -> " + next);
    }
    return next;
  }
}
