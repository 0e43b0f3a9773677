package io.flock.singleton;

import io.flock.membership.Cluster;
import io.flock.membership.ClusterEvent;
import io.flock.membership.ClusterListener;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.singleton.SingletonStatus.Activity;
import java.time.Instant;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's part of a singleton (Stoker's Activator): what it is doing, the term it runs if it
 * leads, why a term ends, and the leader record it publishes. The cluster's membership changes go
 * to the running term.
 *
 * <p>Threading: any thread; the fields are volatile, each written by one party.
 */
final class Activator implements ClusterListener {
  private static final Logger log = LoggerFactory.getLogger(Activator.class);

  private final String name;
  private final Cluster cluster;
  private final Supplier<? extends Leader> leaders;
  private final Scope<String, LeaderRecord> records;
  private final Admission admission;
  private final Instant createdAt = Instant.now();
  private volatile Activity activity = Activity.WAITING;
  private volatile @Nullable Term term;
  private volatile boolean stopping;
  private volatile boolean closing;
  private volatile boolean down;

  Activator(
      String name,
      Cluster cluster,
      Supplier<? extends Leader> leaders,
      Scope<String, LeaderRecord> records) {
    this.name = name;
    this.cluster = cluster;
    this.leaders = leaders;
    this.records = records;
    this.admission = new Admission(cluster, records);
  }

  Admission admission() {
    return admission;
  }

  String name() {
    return name;
  }

  NodeId self() {
    return cluster.self();
  }

  Instant createdAt() {
    return createdAt;
  }

  Activity activity() {
    return activity;
  }

  /** A new leader instance for a term. */
  Leader newLeader() {
    Leader leader = leaders.get();
    if (leader == null) {
      throw new IllegalStateException("the leader supplier of singleton " + name + " gave null");
    }
    return leader;
  }

  void began(Term t) {
    down = false;
    term = t;
    activity = stopping ? Activity.HANDING_OVER : Activity.LEADING;
    log.info("[{}] singleton {}: leading at generation {}", self().name(), name, t.generation());
  }

  void ended(Term t, ShutdownReason reason) {
    if (term == t) {
      term = null;
    }
    activity = stopping || closing ? Activity.STOPPED : Activity.WAITING;
    log.info(
        "[{}] singleton {}: term of generation {} ended ({})",
        self().name(),
        name,
        t.generation(),
        reason);
  }

  /** Why the running term ends now. */
  ShutdownReason reasonFor() {
    if (closing) {
      return ShutdownReason.CLOSED;
    }
    if (stopping) {
      return ShutdownReason.HANDED_OVER;
    }
    if (down) {
      return ShutdownReason.DOWN;
    }
    if (!cluster.hasLease()) {
      return ShutdownReason.LEASE_LOST;
    }
    return ShutdownReason.SUPERSEDED;
  }

  void publish(LeaderRecord r) {
    var unused = records.put(r.leader().name(), r);
  }

  /** This node's singleton stops gracefully: the term here (if any) hands over. */
  void stopping() {
    stopping = true;
    activity = term != null ? Activity.HANDING_OVER : Activity.STOPPED;
  }

  /** This node's singleton closes abruptly. */
  void closing() {
    closing = true;
    activity = term != null ? activity : Activity.STOPPED;
  }

  /** This incarnation was declared down: the term here (if any) ends for that reason. */
  void down() {
    down = true;
  }

  boolean stopped() {
    return stopping || closing;
  }

  @Override
  public void onEvent(ClusterEvent event) {
    Term t = term;
    if (t == null || stopped()) {
      return;
    }
    switch (event) {
      case ClusterEvent.MemberUp e -> t.offer(e);
      case ClusterEvent.MemberDown e -> t.offer(e);
      case ClusterEvent.MemberLeft e -> t.offer(e);
      case ClusterEvent.MemberRemoved e -> t.offer(e);
      case ClusterEvent.Reincarnated e -> t.offer(e);
      case ClusterEvent.Unreachable e -> t.offer(e);
      case ClusterEvent.Reachable e -> t.offer(e);
      default -> {}
    }
  }
}
