package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.SupervisorMessages.RosterEntry;
import java.util.ArrayList;
import java.util.List;

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
