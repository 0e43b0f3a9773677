package io.flock.supervisor;

import io.flock.membership.NodeId;
import org.jspecify.annotations.Nullable;

/**
 * Everything a supervisor reports to its {@link SupervisorListener}s, in order. The first six are
 * local: what the children of this node do. {@link Placed}, {@link Moved} and {@link Ended} are
 * cluster-wide: every node running a distributed supervisor reports them for every child of the
 * cluster as the replicated placements change here (so each node hears each move once, in the order
 * it learned of them).
 */
public sealed interface SupervisorEvent {

  /** The child's id, or the supervisor's name for supervisor-wide events. */
  String id();

  /** Why a child of a distributed supervisor moved. */
  enum MoveCause {
    /** Its node was gone or fenced, and the child's claimer placed it anew (a failover). */
    CLAIMED,
    /** Its node stopped it and handed it over (stop, leave, escalation, active redistribution). */
    HANDED_OVER,
    /**
     * Two placements of one generation met (made on both sides of a partition): {@code to} won by
     * the placement order and the other copy is stopped where it ran.
     */
    CONFLICT
  }

  /** Cluster-wide: a child was placed in the cluster ({@code by} wrote it: the start's arbiter). */
  record Placed(String id, ChildRef ref, NodeId by) implements SupervisorEvent {}

  /** Cluster-wide: a child's placement moved from {@code from} to {@code to}. */
  record Moved(String id, ChildRef from, ChildRef to, MoveCause cause, NodeId by)
      implements SupervisorEvent {}

  /** Cluster-wide: a child ended for good (terminated, or exited and not restarted). */
  record Ended(String id, ChildRef last) implements SupervisorEvent {}

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
