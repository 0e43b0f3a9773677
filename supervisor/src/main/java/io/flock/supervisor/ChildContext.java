package io.flock.supervisor;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
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
   * The next message sent to this child through its supervisor's {@link Messenger}, waiting up to
   * {@code timeout}; null if none came. Messages wait in a bounded mailbox (1,000 by default, see
   * {@link DistributedSupervisor.Builder#mailboxCapacity}) that is kept across local restarts and
   * forwarded on a graceful hand-over. A copy that is no longer current receives nothing.
   *
   * @throws InterruptedException if this thread is interrupted (the supervisor stops the child)
   */
  @Nullable Envelope receive(Duration timeout) throws InterruptedException;

  /**
   * A logger for the child. While {@link Child#run} runs, the SLF4J MDC holds {@code flock.node}
   * and {@code flock.child}, so log patterns can show both.
   */
  Logger log();
}
