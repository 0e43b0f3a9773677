package io.flock.membership;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.ReplicaId;

/**
 * The identity of one incarnation of a node: its unique name, the address it advertises, and an
 * incarnation number that grows with every start (by default the start time in milliseconds).
 * Immutable.
 *
 * @param name the node's unique name in the cluster; 1 to 255 characters
 * @param host the advertised host (name or IP literal)
 * @param port the advertised TCP port, 1 to 65535
 * @param incarnation greater for every later start of the same name, {@code >= 0}
 */
public record NodeId(String name, String host, int port, long incarnation) {

  /**
   * Validates the components.
   *
   * @throws NullPointerException if {@code name} or {@code host} is null
   * @throws IllegalArgumentException naming the component that is out of range
   */
  public NodeId {
    requireNonNull(name, "name");
    requireNonNull(host, "host");
    if (name.isEmpty() || name.length() > 255) {
      throw new IllegalArgumentException(
          "name must have 1 to 255 characters, was " + name.length());
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1 to 65535, was " + port);
    }
    if (incarnation < 0) {
      throw new IllegalArgumentException("incarnation must be >= 0, was " + incarnation);
    }
  }

  /** The CRDT replica id of this incarnation. */
  public ReplicaId replicaId() {
    return new ReplicaId(name, incarnation);
  }

  /** {@code host:port}. */
  public String address() {
    return host + ":" + port;
  }

  @Override
  public String toString() {
    return name + "#" + incarnation + "@" + address();
  }
}
