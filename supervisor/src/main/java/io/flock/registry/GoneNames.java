package io.flock.registry;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.DistributionStrategy;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tidies the registry scope: removes the names of nodes gone for good ({@link
 * Cluster#isGoneForGoodNow}: one live member per name, by rendezvous), and this node's losing
 * entries of names it lost in a conflict. A node merely declared down without quorum keeps its
 * names: the node that declared it may be the one cut off, and its removal would delete live names
 * everywhere after the heal.
 *
 * <p>Threading: core thread, except {@link #dropLosing} (any thread).
 */
final class GoneNames {
  private static final Logger log = LoggerFactory.getLogger(GoneNames.class);

  private final Cluster cluster;
  private final String registry;
  private final Scope<String, Registration> scope;
  private final Names names;

  GoneNames(Cluster cluster, String registry, Scope<String, Registration> scope, Names names) {
    this.cluster = cluster;
    this.registry = registry;
    this.scope = scope;
    this.names = names;
  }

  /** Removes the names of nodes known gone that this node is the cleaner of. */
  void sweep() {
    List<NodeId> live = cluster.liveMembersNow();
    int removed = 0;
    for (NodeId node : names.nodes()) {
      if (!cluster.isGoneForGoodNow(node)) {
        continue; // a down verdict without quorum is no proof: this node may be the cut-off one
      }
      for (String n : names.onNode(node)) {
        Optional<NodeId> cleaner = DistributionStrategy.Rendezvous.best(n, live);
        Registration r = scope.getNow(n);
        if (cleaner.isPresent()
            && cleaner.get().equals(cluster.self())
            && r != null
            && r.ref().node().equals(node)) {
          // Only the gone node's entries: a live child's concurrent registration of the name,
          // hidden behind it by the order, stays and takes the name (a plain remove took both).
          var unused = scope.removeIfNow(n, reg -> cluster.isGoneForGoodNow(reg.ref().node()));
          removed++;
        }
      }
    }
    if (removed > 0) {
      log.info(
          "[{}] registry {}: removed {} names of nodes gone",
          cluster.self().name(),
          registry,
          removed);
    }
  }

  /**
   * Removes this node's losing entry of a name (hidden under the winner): otherwise it would
   * surface again once the winner goes, for a child that was told it lost (and was stopped), and be
   * told so a second time. After the current task: the change that hid it is still being applied.
   */
  void dropLosing(Registration loser) {
    try {
      cluster
          .onCore()
          .execute(
              () -> {
                var unused = scope.removeIfNow(loser.name(), r -> r.ref().equals(loser.ref()));
              });
    } catch (RejectedExecutionException closing) {
      // the node closed: nothing to tidy
    }
  }
}
