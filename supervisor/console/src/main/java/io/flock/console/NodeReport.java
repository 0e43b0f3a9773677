package io.flock.console;

import io.flock.membership.Cluster;
import io.flock.membership.ClusterStatus;
import io.flock.membership.Scope;
import io.flock.supervisor.ChildInfo;
import io.flock.supervisor.ChildState;
import io.flock.supervisor.DistributedSupervisor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * This node's own report, published in the replicated scope {@code console.reports} (node name →
 * JSON) so every node's page shows every node's verdicts: how it sees each member (status,
 * reachable), its lease and quorum, and the children it runs itself, per supervisor. It is what the
 * nodes say of themselves: a child in two nodes' reports is a duplicate the page shows in red.
 * Published once a second when it changed.
 *
 * <p>Threading: the console's scheduler thread.
 */
final class NodeReport {
  static final String SCOPE = "console.reports";

  private final Cluster cluster;
  private final Map<String, DistributedSupervisor> supervisors;
  private final Scope<String, String> reports;
  private @Nullable String last;

  NodeReport(Cluster cluster, Map<String, DistributedSupervisor> supervisors) {
    this.cluster = cluster;
    this.supervisors = supervisors;
    this.reports = cluster.scope(SCOPE);
  }

  Scope<String, String> scope() {
    return reports;
  }

  /** Writes this node's report if it changed since the last one (never blocks for long). */
  void publish() throws Exception {
    if (cluster.isClosed()) {
      return;
    }
    ClusterStatus status = cluster.status().get(1, TimeUnit.SECONDS);
    StringBuilder out = new StringBuilder(256);
    out.append('{');
    Json.key(out, "node");
    Json.string(out, status.self().name()).append(',');
    Json.key(out, "incarnation").append(status.self().incarnation()).append(',');
    Json.key(out, "quorum").append(status.quorum()).append(',');
    Json.key(out, "lease").append(cluster.hasLease()).append(',');
    Json.key(out, "sees");
    Json.members(out, status.members()).append(',');
    Json.key(out, "runs").append('{');
    boolean first = true;
    for (Map.Entry<String, DistributedSupervisor> e : supervisors.entrySet()) {
      List<ChildInfo> here;
      try {
        here = e.getValue().localChildren().get(1, TimeUnit.SECONDS);
      } catch (Exception stopped) {
        here = List.of(); // a stopped supervisor runs nothing here
      }
      if (!first) {
        out.append(',');
      }
      first = false;
      Json.key(out, e.getKey()).append('[');
      boolean firstChild = true;
      for (ChildInfo c : here) {
        if (c.state() != ChildState.RUNNING) {
          continue;
        }
        if (!firstChild) {
          out.append(',');
        }
        firstChild = false;
        out.append('[');
        Json.string(out, c.id()).append(',').append(c.generation()).append(']');
      }
      out.append(']');
    }
    out.append("}}");
    String report = out.toString();
    if (!report.equals(last)) {
      last = report;
      var unused = reports.put(status.self().name(), report);
    }
  }
}
