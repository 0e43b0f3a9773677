package io.flock.membership.internal.detect;

import io.flock.membership.NodeId;

/**
 * Decides, from what this node heard and when, whether a peer is alive, unreachable or down. Its
 * verdicts are this node's own: it never writes replicated state. Time is passed in (monotonic
 * nanoseconds), so tests drive it on a simulated clock. Core thread only.
 *
 * <p>Implementations: {@link HeartbeatDetector} (all-to-all heartbeats with local-health damping,
 * for small clusters); SWIM probing for large ones fits behind the same interface.
 */
public interface FailureDetector {
  /** A verdict on one peer. */
  enum Health {
    ALIVE,
    UNREACHABLE,
    DOWN
  }

  /** Any message from {@code peer} is proof of life at {@code now}. */
  void heard(NodeId peer, long now);

  /** Forgets {@code peer} (it left, or was replaced by a newer incarnation). */
  void forget(NodeId peer);

  /** Called once per heartbeat interval before the verdicts are read. */
  void tick(long now);

  /** For log lines: what the detector knows of {@code peer}. */
  default String describe(NodeId peer, long now) {
    return "";
  }

  /** The verdict on {@code peer} at {@code now}. */
  Health health(NodeId peer, long now);
}
