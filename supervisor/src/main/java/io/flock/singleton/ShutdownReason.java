package io.flock.singleton;

/** Why a leadership term ended ({@link Leader#onShutdown}). */
public enum ShutdownReason {
  /**
   * This node's singleton stopped gracefully ({@link Singleton#stop}, or its cluster node leaves):
   * the next leader starts only after this term ended.
   */
  HANDED_OVER,
  /** This node lost its lease (no quorum acknowledged it in time): it must not act any more. */
  LEASE_LOST,
  /** The others declared this incarnation down; it rejoins as a new one. */
  DOWN,
  /** The singleton was closed abruptly ({@link Singleton#close}, or its cluster node closed). */
  CLOSED,
  /** The cluster placed the singleton elsewhere (a newer generation) while this node kept going. */
  SUPERSEDED
}
