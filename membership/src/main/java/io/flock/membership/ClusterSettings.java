package io.flock.membership;

import io.flock.crdt.Replicator;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A node's settings, validated and frozen by {@link ClusterBuilder#start}: the running node reads
 * only this value, never its builder. Immutable. The shared secret is not part of it: it is handed
 * to the transport once and never readable from a running node.
 *
 * @param clusterName the cluster every node shares
 * @param nodeName this node's unique name
 * @param bindHost the address it listens on
 * @param bindPort the port (0: ephemeral)
 * @param advertisedHost the host other nodes dial
 * @param seeds where to find the cluster
 * @param incarnation this start's incarnation
 * @param heartbeatInterval how often each member is sent a heartbeat
 * @param unreachableAfter silence after which a member is unreachable
 * @param downAfter silence after which a member is down
 * @param removeAfter how long a member must have been down before a node with quorum removes it
 * @param leaseDuration how long a quorum's acknowledgement of a heartbeat keeps this node's lease
 * @param clockDrift the bound on clock-rate drift between nodes (ρ, for example 0.01)
 * @param gossipInterval the replication repair round
 * @param joinRetry how often an unjoined node asks its seeds again
 * @param quorumSize the smallest size quorum is counted against (0: the member count)
 * @param ioThreads Netty I/O threads
 * @param maxValueBytes the largest encoded scope value, endpoint message or reply (default 1 MiB):
 *     larger ones are refused where they are written or sent, before anything is written
 * @param replication replication tuning
 * @param tls mutual TLS, or null for none
 * @param wireTypes the sets of types this node may send (peers must have the same)
 * @param listeners who hears the node's events
 * @param storage where the node keeps its durable scopes, or null for none (the node owns it:
 *     closing the node closes it)
 */
public record ClusterSettings(
    String clusterName,
    String nodeName,
    String bindHost,
    int bindPort,
    String advertisedHost,
    SeedResolver seeds,
    long incarnation,
    Duration heartbeatInterval,
    Duration unreachableAfter,
    Duration downAfter,
    Duration removeAfter,
    Duration leaseDuration,
    double clockDrift,
    Duration gossipInterval,
    Duration joinRetry,
    int quorumSize,
    int ioThreads,
    int maxValueBytes,
    Replicator.Settings replication,
    @Nullable TlsSettings tls,
    List<WireTypes> wireTypes,
    List<ClusterListener> listeners,
    io.flock.membership.storage.@Nullable Storage storage) {

  /** Copies the arrays and lists. */
  public ClusterSettings {
    wireTypes = List.copyOf(wireTypes);
    listeners = List.copyOf(listeners);
  }

  /**
   * The silence after which another member's lease surely lapsed: {@code leaseDuration · (1 + ρ) /
   * (1 − ρ)}, rounded up to a millisecond.
   */
  public Duration lapseAfter() {
    return lapseAfter(leaseDuration, clockDrift);
  }

  static Duration lapseAfter(Duration lease, double drift) {
    double nanos = lease.toNanos() * (1 + drift) / (1 - drift);
    return Duration.ofMillis((long) Math.ceil(nanos / 1e6));
  }

  /** Whether a set of wire types named {@code module} is registered. */
  public boolean hasWireTypes(String module) {
    return wireTypes.stream().anyMatch(w -> w.module().equals(module));
  }

  /**
   * For a part built over a cluster: refuses a cluster started without the part's wire types.
   *
   * @param call what the node's builder needs, e.g. {@code "Registry.wireTypes()"}
   * @throws IllegalArgumentException naming the missing set and the call that adds it
   */
  public void requireWireTypes(String module, String call) {
    if (!hasWireTypes(module)) {
      throw new IllegalArgumentException(
          "cluster "
              + nodeName()
              + " was started without the "
              + module
              + " wire types: add .wireTypes("
              + call
              + ") to its builder on every node");
    }
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  @Override
  public String toString() {
    return "ClusterSettings[" + clusterName + "/" + nodeName + "#" + incarnation + "]";
  }
}
