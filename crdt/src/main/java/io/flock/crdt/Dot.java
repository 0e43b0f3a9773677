package io.flock.crdt;

import static java.util.Objects.requireNonNull;

/**
 * One write event: the {@code counter}-th write made by {@code replica}. Dots are unique across the
 * cluster because replica ids are unique per incarnation.
 *
 * @param replica the writer
 * @param counter the writer's sequence number, {@code >= 1}
 */
public record Dot(ReplicaId replica, long counter) {

  /**
   * Validates the components.
   *
   * @throws NullPointerException if {@code replica} is null
   * @throws IllegalArgumentException if {@code counter < 1}
   */
  public Dot {
    requireNonNull(replica, "replica");
    if (counter < 1) {
      throw new IllegalArgumentException("counter must be >= 1, was " + counter);
    }
  }

  @Override
  public String toString() {
    return replica + ":" + counter;
  }
}
