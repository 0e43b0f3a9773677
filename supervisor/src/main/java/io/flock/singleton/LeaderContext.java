package io.flock.singleton;

import java.time.Instant;
import org.slf4j.Logger;

/**
 * What the leader knows about its term. Safe to use from any thread; the callbacks get it on the
 * term's thread.
 */
public interface LeaderContext {
  /** The singleton's name. */
  String name();

  /** The name of the node this term runs on. */
  String node();

  /**
   * The fencing token of this term: it grows every time the singleton is placed anew (failover,
   * hand-over). Pass it with every effect on an outside system, which must refuse a token lower
   * than one it has seen.
   */
  long generation();

  /** When this term began (this node's wall clock). */
  Instant since();

  /**
   * Whether this term is still the current one: not asked to end, this node holds its lease, and
   * the singleton's placement still names this node and generation. Check before each effect.
   */
  boolean isCurrent();

  /**
   * Throws unless {@link #isCurrent()}.
   *
   * @throws io.flock.supervisor.SupervisorException with reason {@code FENCED}
   */
  void ensureCurrent();

  /** A logger for the leader (the MDC holds {@code flock.node} and {@code flock.child}). */
  Logger log();
}
