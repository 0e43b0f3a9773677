package io.flock.membership;

/**
 * Receives {@link ClusterEvent}s in order, on the cluster's core thread. It must be quick and must
 * not block; an exception it throws is logged and contained.
 */
@FunctionalInterface
public interface ClusterListener {
  /** One event. */
  void onEvent(ClusterEvent event);
}
