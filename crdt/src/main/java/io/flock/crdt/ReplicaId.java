package io.flock.crdt;

import static java.util.Objects.requireNonNull;

/**
 * The identity of one incarnation of a replica: a node name plus an incarnation number that grows
 * every time the node starts. A restarted node is a new replica, so it never reuses the dots of its
 * previous life.
 *
 * <p>Ordered by node name, then incarnation; the order breaks ties between concurrent writes with
 * equal timestamps.
 *
 * @param node the node's unique, non-empty name
 * @param incarnation a number that is larger for every later start of the same node; {@code >= 0}
 */
public record ReplicaId(String node, long incarnation) implements Comparable<ReplicaId> {

  /**
   * Validates the components.
   *
   * @throws NullPointerException if {@code node} is null
   * @throws IllegalArgumentException if {@code node} is empty or {@code incarnation} is negative
   */
  public ReplicaId {
    requireNonNull(node, "node");
    if (node.isEmpty()) {
      throw new IllegalArgumentException("node must not be empty");
    }
    if (incarnation < 0) {
      throw new IllegalArgumentException("incarnation must be >= 0, was " + incarnation);
    }
  }

  @Override
  public int compareTo(ReplicaId other) {
    int byNode = node.compareTo(other.node);
    return byNode != 0 ? byNode : Long.compare(incarnation, other.incarnation);
  }

  /** A hash that is the same in every JVM (used by digests). */
  long stableHash() {
    return Hashing.mix(node.hashCode() * 0x9E3779B97F4A7C15L + incarnation);
  }

  @Override
  public String toString() {
    return node + "#" + incarnation;
  }
}
