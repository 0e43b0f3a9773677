package io.flock.console;

import io.flock.membership.Cluster;
import io.flock.membership.ClusterStatus;
import io.flock.membership.Member;
import io.flock.membership.MemberStatus;
import io.flock.membership.Scope;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.DistributedSupervisor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code GET /api/cluster} answers: this node's status (members, quorum, lease, each scope's
 * replication state), the own report of every node it hears (from {@code console.reports}), the
 * children's placements per supervisor (replicated state), the moves this node heard, and the
 * registries, process groups and singletons the console was given ({@link ServicesView}). The
 * duplicates (one child in the reports of two nodes) are computed by the page from the reports.
 *
 * <p>Threading: the console's request threads; blocks each for at most a second.
 */
final class ClusterView {
  private final Cluster cluster;
  private final Map<String, DistributedSupervisor> supervisors;
  private final Scope<String, String> reports;
  private final Timeline timeline;
  private final ServicesView services;

  ClusterView(
      Cluster cluster,
      Map<String, DistributedSupervisor> supervisors,
      Scope<String, String> reports,
      Timeline timeline,
      ServicesView services) {
    this.cluster = cluster;
    this.services = services;
    this.supervisors = supervisors;
    this.reports = reports;
    this.timeline = timeline;
  }

  private static final Pattern INCARNATION = Pattern.compile("\"incarnation\":([0-9]+)");

  /**
   * Whether a node's report speaks for it now: the node is a member this node hears (not down, not
   * left) and the report is of its current incarnation. The report of a node that died stays in the
   * scope and would show its old children as duplicates of their new copies; a node cut off from
   * this one cannot update its report either, so its old one is not shown.
   */
  private static boolean fresh(String node, String report, Map<String, Member> members) {
    Member m = members.get(node);
    if (m == null || m.status() == MemberStatus.DOWN || m.status() == MemberStatus.LEFT) {
      return false;
    }
    Matcher inc = INCARNATION.matcher(report);
    return inc.find() && Long.parseLong(inc.group(1)) == m.id().incarnation();
  }

  String json() throws Exception {
    ClusterStatus status = cluster.status().get(1, TimeUnit.SECONDS);
    StringBuilder out = new StringBuilder(1024);
    out.append('{');
    Json.key(out, "at").append(System.currentTimeMillis()).append(',');
    Json.key(out, "self");
    Json.string(out, status.self().name()).append(',');
    Json.key(out, "quorum").append(status.quorum()).append(',');
    Json.key(out, "lease").append(cluster.hasLease()).append(',');
    Json.key(out, "leaseRemainingMillis").append(cluster.leaseRemaining().toMillis()).append(',');
    Json.key(out, "members");
    Json.members(out, status.members()).append(',');
    Json.key(out, "scopes").append('[');
    boolean first = true;
    for (ClusterStatus.ScopeStatus s : status.scopes()) {
      out.append(first ? "" : ",").append('{');
      first = false;
      Json.key(out, "name");
      Json.string(out, s.name()).append(',');
      Json.key(out, "size").append(s.size()).append(',');
      Json.key(out, "writes").append(s.sequence()).append(',');
      Json.key(out, "unacknowledged").append(s.maxLag()).append(',');
      Json.key(out, "syncing")
          .append(s.neighbours().stream().filter(ClusterStatus.Neighbour::syncing).count())
          .append(',');
      Json.key(out, "neighbours").append(s.neighbours().size()).append('}');
    }
    out.append("],");
    Json.key(out, "reports").append('{');
    first = true;
    Map<String, Member> members = new HashMap<>();
    for (Member m : status.members()) {
      members.put(m.id().name(), m);
    }
    for (Map.Entry<String, String> r :
        new TreeMap<>(reports.snapshot().get(1, TimeUnit.SECONDS)).entrySet()) {
      if (!fresh(r.getKey(), r.getValue(), members)) {
        continue;
      }
      out.append(first ? "" : ",");
      first = false;
      Json.key(out, r.getKey()).append(r.getValue()); // written as JSON by that node's console
    }
    out.append("},");
    Json.key(out, "placements").append('{');
    first = true;
    for (Map.Entry<String, DistributedSupervisor> e : supervisors.entrySet()) {
      List<ChildRef> refs;
      try {
        refs = e.getValue().whichChildren().get(1, TimeUnit.SECONDS);
      } catch (Exception stopped) {
        refs = List.of();
      }
      out.append(first ? "" : ",");
      first = false;
      Json.key(out, e.getKey()).append('[');
      boolean firstRef = true;
      for (ChildRef r : refs) {
        out.append(firstRef ? "" : ",").append('[');
        firstRef = false;
        Json.string(out, r.id()).append(',');
        Json.string(out, r.node().name()).append(',').append(r.generation()).append(']');
      }
      out.append(']');
    }
    out.append("},");
    Json.key(out, "moves").append('[');
    first = true;
    for (Timeline.Entry m : timeline.entries()) {
      out.append(first ? "" : ",").append('{');
      first = false;
      Json.key(out, "at").append(m.at()).append(',');
      Json.key(out, "supervisor");
      Json.string(out, m.supervisor()).append(',');
      Json.key(out, "id");
      Json.string(out, m.id()).append(',');
      Json.key(out, "from");
      Json.string(out, m.from()).append(',');
      Json.key(out, "to");
      Json.string(out, m.to()).append(',');
      Json.key(out, "generation").append(m.generation()).append(',');
      Json.key(out, "cause");
      Json.string(out, m.cause()).append('}');
    }
    out.append("],");
    services.json(out).append('}');
    return out.toString();
  }
}
