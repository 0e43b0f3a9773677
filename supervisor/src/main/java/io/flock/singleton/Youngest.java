package io.flock.singleton;

import io.flock.membership.NodeId;
import io.flock.supervisor.DistributionStrategy;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The singleton's default placement: the most recently started eligible member (the highest
 * incarnation, which is the start time by default; ties by name), with quorum. A node that stops or
 * leaves is not eligible, so its hand-over goes to a node that already restarted: a rolling restart
 * moves the singleton once, when its own node restarts (Akka's oldest-first moved it at every
 * step). Deterministic, so every node computes the same target.
 */
final class Youngest implements DistributionStrategy {
  static final Youngest QUORUM = new Youngest();

  private static final Comparator<NodeId> AGE =
      Comparator.comparingLong(NodeId::incarnation).thenComparing(NodeId::name);

  private Youngest() {}

  @Override
  public Optional<NodeId> choose(String childId, List<NodeId> live, Map<String, Integer> load) {
    return live.stream().max(AGE);
  }

  @Override
  public boolean requiresQuorum() {
    return true;
  }
}
