package io.flock.supervisor;

import org.jspecify.annotations.Nullable;

/** Everything a supervisor reports to its {@link SupervisorListener}s, in order. */
public sealed interface SupervisorEvent {

  /** The child's id, or the supervisor's name for supervisor-wide events. */
  String id();

  /** A child (re)started. */
  record Started(String id, int incarnation, long generation) implements SupervisorEvent {}

  /** A child's run ended by itself: normally when {@code cause} is null, else it crashed. */
  record Exited(String id, int incarnation, @Nullable Throwable cause) implements SupervisorEvent {
    /** Whether the exit was normal (a return, not an exception). */
    public boolean normal() {
      return cause == null;
    }
  }

  /** A child will be started again. */
  record Restarting(String id, int nextIncarnation) implements SupervisorEvent {}

  /** A child was stopped on request. */
  record Stopped(String id, int incarnation) implements SupervisorEvent {}

  /** A child did not end within its shutdown timeout; its thread is given up on. */
  record Abandoned(String id, int incarnation) implements SupervisorEvent {}

  /**
   * Too many restarts within the intensity window: the supervisor stopped all its children and
   * refuses new ones. Never thrown at anyone: this event is the report.
   */
  record Escalated(String id, int restarts, java.time.Duration window) implements SupervisorEvent {}
}
