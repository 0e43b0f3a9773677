package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves children off this node without ever running two copies: the old copy stops first, then the
 * new placement (generation + 1) is written. Used by a graceful stop and an escalation (all of this
 * node's children, once the local supervisor stopped them) and by active redistribution (one child
 * at a time, to the node the configured strategy now prefers).
 *
 * <p>Threading: core thread.
 */
final class HandOver {
  private static final Logger log = LoggerFactory.getLogger(HandOver.class);

  private final Cluster cluster;
  private final String name;
  private final Scope<String, Placement> scope;
  private final Roster roster;
  private final DistributionStrategy strategy;
  private final LocalRuns runs;
  private final ScheduledExecutorService timer;
  private final Mover mover;
  private List<NodeId> lastMembers = List.of();

  /** Told of each hand-over just before its placement is written (the messages follow it). */
  @FunctionalInterface
  interface Mover {
    void moving(String id, NodeId to, long generation);
  }

  HandOver(
      Cluster cluster,
      String name,
      Scope<String, Placement> scope,
      Roster roster,
      DistributionStrategy strategy,
      LocalRuns runs,
      ScheduledExecutorService timer,
      Mover mover) {
    this.cluster = cluster;
    this.name = name;
    this.scope = scope;
    this.roster = roster;
    this.strategy = strategy;
    this.mover = mover;
    this.runs = runs;
    this.timer = timer;
  }

  /**
   * The local supervisor stopped every child here: says so in the roster and places each of this
   * node's children on another member. Completes once every live member acknowledged the hand-over,
   * or at {@code deadline} (nanoTime). Once acknowledged, the roster says this node stopped: a
   * child that had nowhere to go (no other member ran the supervisor with its factory yet) is then
   * an orphan, claimed as soon as such a member appears. While the entry said "handing over" nobody
   * claimed it, for good; before the acknowledgement a claimer might not yet see the new
   * placements.
   */
  CompletableFuture<Void> handOverAll(long deadline) {
    roster.announceHandingOver();
    runs.clear();
    Map<String, Integer> load = Load.of(strategy, scope);
    Map<String, List<NodeId>> targets = new HashMap<>(); // per factory, for this hand-over
    int moved = 0;
    for (String id : runs.placedHere()) {
      Placement p = scope.getNow(id);
      if (p == null || p.terminated()) {
        continue;
      }
      List<NodeId> others = targets.computeIfAbsent(p.spec().factory(), this::othersWith);
      Optional<NodeId> to = strategy.choose(id, others, load);
      if (to.isPresent()) {
        mover.moving(id, to.get(), p.generation() + 1);
        var unused =
            scope.putNow(id, new Placement(p.spec(), to.get(), p.generation() + 1, cluster.self()));
        load.merge(to.get().name(), 1, Integer::sum);
        moved++;
      }
    }
    log.info("[{}] {}: handed {} children over", cluster.self().name(), name, moved);
    CompletableFuture<Void> done = new CompletableFuture<>();
    awaitHeld(scope.writeMarkNow(), deadline, done);
    return done;
  }

  /** The live members other than this node that may run a child of {@code factory}. */
  private List<NodeId> othersWith(String factory) {
    List<NodeId> out = new ArrayList<>(roster.targets(factory));
    out.remove(cluster.self());
    return out;
  }

  private void awaitHeld(long mark, long deadline, CompletableFuture<Void> done) {
    int live = Math.max(1, cluster.liveMembersNow().size());
    boolean held =
        scope.holdersNow(mark) >= live
            && roster.scope().holdersNow(roster.scope().writeMarkNow()) >= live;
    if (held) {
      roster.announce(false);
      done.complete(null);
      return;
    }
    if (System.nanoTime() - deadline > 0) {
      log.warn(
          "[{}] {}: the hand-over was not acknowledged by every live member in time; this node"
              + " keeps saying it hands over (a child that had nowhere to go waits)",
          cluster.self().name(),
          name);
      done.complete(null);
      return;
    }
    var unused =
        timer.schedule(
            () -> cluster.onCore().execute(() -> awaitHeld(mark, deadline, done)),
            5,
            TimeUnit.MILLISECONDS);
  }

  private void place(Placement old, NodeId to) {
    mover.moving(old.spec().id(), to, old.generation() + 1);
    var unused =
        scope.putNow(
            old.spec().id(), new Placement(old.spec(), to, old.generation() + 1, cluster.self()));
  }

  /**
   * Active redistribution: when the members changed, moves each child here whose best node under
   * the configured strategy is now another one (stop here, then place there).
   */
  void rebalance() {
    List<NodeId> members = roster.members();
    if (members.equals(lastMembers)) {
      return;
    }
    lastMembers = members;
    Map<String, Integer> load = Load.of(strategy, scope);
    for (String id : runs.placedHere()) {
      Placement p = scope.getNow(id);
      if (p == null || p.terminated()) {
        continue;
      }
      Optional<NodeId> best = strategy.choose(id, roster.targets(p.spec().factory()), load);
      if (best.isEmpty() || best.get().equals(cluster.self())) {
        continue;
      }
      NodeId to = best.get();
      load.merge(to.name(), 1, Integer::sum);
      CompletableFuture<Void> unused =
          runs.stopForMove(id)
              .thenRun(
                  () -> {
                    if (p.equals(scope.getNow(id))) {
                      place(p, to);
                    }
                  });
    }
  }
}
