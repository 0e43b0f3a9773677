package io.flock.membership;

import java.util.List;

/**
 * This node's view of the cluster at one moment. Immutable.
 *
 * @param self this node
 * @param members every member it knows, itself first
 * @param quorum whether it has quorum
 * @param scopes per replicated scope, its size here and its replication state per neighbour
 */
public record ClusterStatus(
    NodeId self, List<Member> members, boolean quorum, List<ScopeStatus> scopes) {
  /** Copies the lists. */
  public ClusterStatus {
    members = List.copyOf(members);
    scopes = List.copyOf(scopes);
  }

  /**
   * One scope.
   *
   * @param name the scope's name
   * @param size the number of keys this node sees
   * @param sequence the number of local writes this node made to it
   * @param neighbours the replication state per neighbour
   */
  public record ScopeStatus(String name, int size, long sequence, List<Neighbour> neighbours) {
    /** Copies the list. */
    public ScopeStatus {
      neighbours = List.copyOf(neighbours);
    }

    /** The largest lag of any neighbour (0 when every neighbour acknowledged everything). */
    public long maxLag() {
      return neighbours.stream().mapToLong(Neighbour::lag).max().orElse(0);
    }
  }

  /**
   * Replication towards one neighbour.
   *
   * @param node its name
   * @param incarnation its incarnation
   * @param lag local writes it has not acknowledged
   * @param syncing whether a digest catch-up from it is in progress
   */
  public record Neighbour(String node, long incarnation, long lag, boolean syncing) {}
}
