package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * After a whole-cluster restart (durable scopes): whether this node's replica of one scope holds
 * everything a majority of the cluster's previous life held. The nodes that come back each bring
 * their own disk; one of them alone may lack what the others acknowledged (a placement made, a
 * checkpoint saved by a majority it was not in). Every majority of the previous life's N nodes
 * meets any N − majority + 1 of them, so once this replica caught up with that many of them (itself
 * included, through its own disk) it holds every write a majority of the previous life held.
 * Claiming the previous life's children before that reuses a generation a lost placement already
 * had, and a checkpoint read before that may miss the last acknowledged save (both seen in the
 * container test of a whole-cluster restart: five nodes killed, the first of three to start formed
 * the new cluster alone).
 *
 * <p>The previous life's members are {@link Cluster#formerMembersNow}; without them (no restart of
 * a durable cluster) there is nothing to wait for.
 *
 * <p>Threading: core thread.
 */
final class PreviousLife {
  private static final long ASK_AGAIN_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Cluster cluster;
  private final Scope<?, ?> scope;
  private int caughtUpWith; // how many former members' names the last success covered
  private long mark = -1;
  private long askedAt;

  PreviousLife(Cluster cluster, Scope<?, ?> scope) {
    this.cluster = cluster;
    this.scope = scope;
  }

  /** Whether this replica holds what a majority of the previous life held (asks for it if not). */
  boolean caughtUpNow() {
    Set<String> names = new HashSet<>();
    for (NodeId former : cluster.formerMembersNow()) {
      names.add(former.name());
    }
    if (names.isEmpty() || names.size() <= caughtUpWith) {
      return true;
    }
    int needed = names.size() - (names.size() / 2 + 1) + 1;
    long now = System.nanoTime();
    if (mark >= 0) {
      Set<String> caught = new HashSet<>(scope.caughtUpWithNow(mark));
      caught.retainAll(names);
      if (caught.size() >= needed) {
        caughtUpWith = names.size();
        return true;
      }
    }
    if (mark < 0 || now - askedAt > ASK_AGAIN_NANOS) {
      mark = scope.catchUpNow(); // again each second while too few of them answered
      askedAt = now;
    }
    return false;
  }
}
