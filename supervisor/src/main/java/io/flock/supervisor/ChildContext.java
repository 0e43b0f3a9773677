package io.flock.supervisor;

import java.util.Map;
import org.slf4j.Logger;

/** What a running child knows about itself. Safe to use from the child's thread (and any other). */
public interface ChildContext {
  /** The child's id. */
  String id();

  /** The spec's arguments. */
  Map<String, String> args();

  /** The name of the node it runs on. */
  String node();

  /**
   * The generation of this placement: it grows every time the cluster places the child anew
   * (failover, move), so it serves as a fencing token. Local restarts keep it.
   */
  long generation();

  /** Which local (re)start this is: 1 for the first. */
  int incarnation();

  /** Whether the supervisor asked this child to stop (its thread is also interrupted). */
  boolean stopRequested();

  /**
   * Whether this copy is still the current one, cheaply, from the child's thread: it was not asked
   * to stop and, under a distributed supervisor, its node holds its lease and its placement still
   * names this node and this generation. Check it before each external effect. A process that was
   * paused can act for an instant after it resumes and before it checks: effects on outside systems
   * must also carry {@link #generation()} as a fencing token.
   */
  boolean isCurrent();

  /**
   * Throws unless {@link #isCurrent()}.
   *
   * @throws SupervisorException with reason {@link SupervisorException.Reason#FENCED}
   */
  default void ensureCurrent() {
    if (!isCurrent()) {
      throw new SupervisorException(
          SupervisorException.Reason.FENCED,
          "child " + id() + " generation " + generation() + " on " + node() + " is not current");
    }
  }

  /**
   * A logger for the child. While {@link Child#run} runs, the SLF4J MDC holds {@code flock.node}
   * and {@code flock.child}, so log patterns can show both.
   */
  Logger log();
}
