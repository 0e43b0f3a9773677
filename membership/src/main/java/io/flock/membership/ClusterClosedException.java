package io.flock.membership;

/**
 * The node was closed or has left: calls on it fail at once with this, and calls still waiting when
 * it closed fail with it too.
 */
public final class ClusterClosedException extends FlockException {
  private static final long serialVersionUID = 1L;

  /** For the node named {@code node}. */
  public ClusterClosedException(String node) {
    super("cluster node " + node + " is closed");
  }
}
