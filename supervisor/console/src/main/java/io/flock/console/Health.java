package io.flock.console;

import io.flock.membership.Cluster;
import io.flock.membership.ClusterStatus;
import io.flock.membership.Member;
import io.flock.membership.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The two health verdicts of a node, from the public {@link Cluster} API only.
 *
 * <ul>
 *   <li><b>Live</b>: the core thread runs a task within the timeout (a stalled core, or a closed
 *       node, is not live: an orchestrator restarts it).
 *   <li><b>Ready</b>: live, joined (this node is {@code UP} in its own view), holding its lease,
 *       and every replicated scope caught up with at least one peer (no digest catch-up running
 *       with every neighbour), so it can take work and answer from its replicas.
 * </ul>
 *
 * <p>Threading: any thread; blocks the caller for at most the timeout.
 */
final class Health {
  private final Cluster cluster;
  private final Duration timeout;

  Health(Cluster cluster, Duration timeout) {
    this.cluster = cluster;
    this.timeout = timeout;
  }

  /** Why the node is not live (empty: it is). */
  List<String> notLive() {
    if (cluster.isClosed()) {
      return List.of("the node is closed");
    }
    try {
      CompletableFuture.runAsync(() -> {}, cluster.onCore())
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of("interrupted");
    } catch (Exception e) {
      return List.of("the core thread did not run a task within " + timeout);
    }
  }

  /** Why the node is not ready (empty: it is). */
  List<String> notReady() {
    List<String> why = new ArrayList<>(notLive());
    if (!why.isEmpty()) {
      return why;
    }
    ClusterStatus status;
    try {
      status = cluster.status().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of("interrupted");
    } catch (Exception e) {
      return List.of("no status within " + timeout);
    }
    boolean up = false;
    for (Member m : status.members()) {
      if (m.id().equals(status.self()) && m.status() == MemberStatus.UP) {
        up = true;
      }
    }
    if (!up) {
      why.add("not joined (this node is not UP in its own view)");
    }
    if (!cluster.hasLease()) {
      why.add("no lease");
    }
    for (ClusterStatus.ScopeStatus s : status.scopes()) {
      if (!s.neighbours().isEmpty()
          && s.neighbours().stream().allMatch(ClusterStatus.Neighbour::syncing)) {
        why.add("scope " + s.name() + " is catching up with every neighbour");
      }
    }
    return why;
  }
}
