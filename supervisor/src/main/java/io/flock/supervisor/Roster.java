package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.SupervisorMessages.RosterEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Which nodes run a distributed supervisor, and with which factories: a replicated scope of one
 * entry per node, written by that node only. A node is a target for a child only while its entry
 * (of its current incarnation) says it runs and has the child's factory; a stopped or escalated
 * supervisor says it does not, so it receives no placements and its children move.
 *
 * <p>Threading: core thread.
 */
final class Roster {
  private final Cluster cluster;
  private final Scope<String, RosterEntry> scope;
  private final List<String> factories;

  Roster(Cluster cluster, String supervisor, List<String> factories) {
    this.cluster = cluster;
    this.scope = cluster.scope("supervisor." + supervisor + ".roster");
    this.factories = List.copyOf(factories);
  }

  Scope<String, RosterEntry> scope() {
    return scope;
  }

  /** Writes this node's entry. */
  void announce(boolean running) {
    var unused =
        scope.putNow(
            cluster.self().name(), new RosterEntry(cluster.self(), factories, running, false));
  }

  /**
   * Writes that this node is handing its children over: it takes no new ones, and is no source of
   * orphans (its new placements are being written; claiming its children now would race them).
   */
  void announceHandingOver() {
    var unused =
        scope.putNow(
            cluster.self().name(), new RosterEntry(cluster.self(), factories, false, true));
  }

  /** Whether {@code node} (this incarnation) runs the supervisor now. */
  boolean runs(NodeId node) {
    RosterEntry e = scope.getNow(node.name());
    return e != null && e.node().equals(node) && e.running();
  }

  /** Whether {@code node}'s entry says this incarnation's supervisor stopped (it runs nothing). */
  boolean stopped(NodeId node) {
    RosterEntry e = scope.getNow(node.name());
    return e != null && e.node().equals(node) && !e.running() && !e.handingOver();
  }

  /** The live members that run the supervisor (sorted by name): arbiters and claimers. */
  List<NodeId> members() {
    List<NodeId> out = new ArrayList<>();
    for (NodeId n : cluster.liveMembersNow()) {
      if (runs(n)) {
        out.add(n);
      }
    }
    out.sort((a, b) -> a.name().compareTo(b.name()));
    return out;
  }

  /**
   * Every node that may be claiming orphans now, by name (each with the newest incarnation known):
   * each whose entry says it runs, this node's view of it aside, unless {@code ruledOut} says it
   * cannot be (its lease lapsed, its process ended, it stopped). A claimer defers to all of them:
   * two nodes that each see the other down, both holding their leases, still agree on which of them
   * claims. This node is always among them while it runs.
   */
  List<NodeId> claimers(Predicate<NodeId> ruledOut) {
    Map<String, NodeId> byName = new TreeMap<>();
    scope.forEachNow(
        (name, e) -> {
          if (e.running()) {
            byName.put(name, e.node());
          }
        });
    for (NodeId n : cluster.liveMembersNow()) {
      RosterEntry e = scope.getNow(n.name());
      if (e != null && e.running() && e.node().incarnation() <= n.incarnation()) {
        byName.put(n.name(), n); // a newer incarnation announces itself soon: count it already
      }
    }
    NodeId self = cluster.self();
    byName.values().removeIf(n -> !n.equals(self) && ruledOut.test(n));
    return new ArrayList<>(byName.values());
  }

  /** The live members that may run a child of {@code factory} (sorted by name). */
  List<NodeId> targets(String factory) {
    List<NodeId> out = new ArrayList<>();
    for (NodeId n : members()) {
      RosterEntry e = scope.getNow(n.name());
      if (e != null && e.factories().contains(factory)) {
        out.add(n);
      }
    }
    return out;
  }

  /** Whether any live member has {@code factory}. */
  boolean anyHas(String factory) {
    return !targets(factory).isEmpty();
  }
}
