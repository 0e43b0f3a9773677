package io.flock.supervisor;

/**
 * Receives a supervisor's events, in order, on the supervisor's thread. It must be quick and must
 * not block; an exception it throws is logged and does not affect the supervisor or other
 * listeners.
 */
@FunctionalInterface
public interface SupervisorListener {
  /** One event. */
  void onEvent(SupervisorEvent event);
}
