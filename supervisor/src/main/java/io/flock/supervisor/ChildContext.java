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
   * A logger for the child. While {@link Child#run} runs, the SLF4J MDC holds {@code flock.node}
   * and {@code flock.child}, so log patterns can show both.
   */
  Logger log();
}
