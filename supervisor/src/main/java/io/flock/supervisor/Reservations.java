package io.flock.supervisor;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.ClusterEvent;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Makes a fresh start of an id, and a claim of an orphan, the decision of one node even while two
 * nodes' rosters differ (a supervisor starting on several nodes at once; seen: two arbiters placed
 * one id and both targets ran it; nodes back from a whole-cluster restart at once each were the
 * claimer of one orphan in their own view, and both copies ran at one generation). Before it places
 * an id (or replaces an orphan's placement), an arbiter (or claimer) reserves it: it writes its
 * reservation (one entry per id and arbiter, so none hides another), waits until a majority holds
 * it, catches up the reservations with a majority, and places the id only if it saw no other live
 * arbiter's reservation of it and holds no placement of it (for a claim: no placement but the
 * orphan's). Of two arbiters at most one sees no rival: if neither saw the other, each catch-up
 * would have begun before the other's reservation was held, which was before its own catch-up. An
 * arbiter withdraws its reservation only once every live member holds its placement, so one that
 * reserves later either sees the reservation or already holds the placement. An arbiter that saw a
 * rival withdraws, and the start is routed again. Used with a quorum strategy (the majority is what
 * makes it sound). Only the small reservation scope is caught up, never the placements, with one
 * exception: the reservation of an arbiter gone for good. That arbiter may have died after its
 * target started the child but before a majority held the placement, so a majority's replicas need
 * not show it: the arbiter places the id only after it caught the placements up with every node
 * that may be running children (each whose roster entry runs and whose lease has not lapsed), and
 * saw none of this id; then it drops the dead arbiter's reservation. While such a node cannot be
 * heard, the start is refused and routed again, so it waits, never doubles.
 *
 * <p>Threading: core thread.
 */
final class Reservations {
  // Deadlines, withdrawals and membership changes; rounds also move on the scopes' progress events.
  private static final long POLL_MILLIS = 10;

  private final Cluster cluster;
  private final Scope<String, NodeId> scope;
  private final Scope<String, Placement> placements;
  private final ScheduledExecutorService timer;
  private final Supplier<List<NodeId>> mayRun;
  private final Map<String, Set<String>> byId = new HashMap<>();
  // The rounds in flight by stage. Marks grow with each reservation, and catch-up rounds with each
  // catch-up, while what a stage waits for (holders of a mark, replicas caught up since a round)
  // only shrinks as they grow: a stage moves on from its front and stops at the first round not
  // ready, so a pass costs the rounds that move, not all of them (thousands during a failover).
  private final ArrayDeque<Round> unheld = new ArrayDeque<>(); // reservation not yet held
  private final ArrayDeque<Round> catchingUp = new ArrayDeque<>(); // reservations' catch-up
  private final List<Round> catchingUpPlacements = new ArrayList<>(); // a dead rival was seen
  private final PriorityQueue<Round> byDeadline =
      new PriorityQueue<>((a, b) -> Long.compare(a.deadline - b.deadline, 0));
  private int open; // rounds not finished
  // Insertion order is mark order (a renewed id goes to the end): withdrawn from the front.
  private final LinkedHashMap<String, Long> releaseWhenHeld = new LinkedHashMap<>();
  private @Nullable ScheduledFuture<?> poll;

  /** One reservation on its way: held, then caught up. */
  private static final class Round {
    final String id;
    final long mark;
    final long deadline;
    final @Nullable Placement replacing; // a claim: the orphan's placement; a start: null
    final CompletableFuture<Boolean> result = new CompletableFuture<>();
    boolean done;
    long reservationsRead = -1;
    long placementsRead = -1; // a dead arbiter's reservation was seen: the placements' catch-up

    Round(String id, @Nullable Placement replacing, long mark, long deadline) {
      this.id = id;
      this.replacing = replacing;
      this.mark = mark;
      this.deadline = deadline;
    }
  }

  Reservations(
      Cluster cluster,
      String supervisor,
      Scope<String, Placement> placements,
      ScheduledExecutorService timer,
      Supplier<List<NodeId>> mayRun) {
    this.cluster = cluster;
    this.scope = cluster.scope("supervisor." + supervisor + ".reservations");
    this.placements = placements;
    this.timer = timer;
    this.mayRun = mayRun;
    // A round moves on the moment its reservation is held or its catch-up completes.
    scope.onProgress(this::advanceRounds);
    placements.onProgress(this::advanceRounds);
    cluster
        .onCore()
        .execute(
            () -> {
              scope.forEachNow((key, arbiter) -> index(key, true));
              scope.subscribe(this::onChanges);
              cluster.subscribe(
                  event -> {
                    if (event instanceof ClusterEvent.Reincarnated) {
                      reincarnated();
                    }
                  });
            });
  }

  private static String key(String id, String arbiter) {
    return id + '\u0000' + arbiter;
  }

  private void onChanges(List<Change<String, NodeId>> changes) {
    for (Change<String, NodeId> c : changes) {
      switch (c) {
        case Change.Added<String, NodeId> a -> index(a.key(), true);
        case Change.Updated<String, NodeId> u -> index(u.key(), true);
        case Change.Removed<String, NodeId> r -> index(r.key(), false);
      }
    }
  }

  private void index(String key, boolean present) {
    int cut = key.lastIndexOf('\u0000');
    if (cut < 0) {
      return;
    }
    String id = key.substring(0, cut);
    String arbiter = key.substring(cut + 1);
    if (present) {
      byId.computeIfAbsent(id, k -> new HashSet<>()).add(arbiter);
    } else {
      Set<String> s = byId.get(id);
      if (s != null && s.remove(arbiter) && s.isEmpty()) {
        byId.remove(id);
      }
    }
  }

  /**
   * Reserves {@code id} for this node: completes true once it may place it (it saw no rival and no
   * placement), false if it saw either or {@code deadline} (nanoTime) passed; its reservation is
   * withdrawn then. On true, {@link #release} it once the placement is held.
   */
  CompletableFuture<Boolean> reserve(String id, long deadline) {
    return reserve(id, null, deadline);
  }

  /**
   * Reserves {@code id} to replace {@code orphan}, its placement now: as {@link #reserve(String,
   * long)}, except that the placement it may see is {@code orphan} (any other is a rival: a claim
   * or a terminate marker written meanwhile). The future completes on the core thread.
   */
  CompletableFuture<Boolean> reserve(String id, @Nullable Placement orphan, long deadline) {
    NodeId self = cluster.self();
    var unused = scope.putNow(key(id, self.name()), self);
    Round r = new Round(id, orphan, scope.writeMarkNow(), deadline);
    unheld.addLast(r);
    byDeadline.add(r);
    open++;
    armPoll();
    return r.result;
  }

  /** Withdraws this node's reservation of {@code id}. */
  void release(String id) {
    releaseWhenHeld.remove(id);
    var unused = scope.removeNow(key(id, cluster.self().name()));
  }

  /**
   * Withdraws this node's reservation of {@code id} once every live member holds this node's
   * placement writes up to {@code mark} (at once if they do): a rival reserving after that holds
   * the placement.
   */
  void releaseWhenHeld(String id, long mark) {
    if (placements.holdersNow(mark) >= everyone()) {
      release(id);
    } else {
      releaseWhenHeld.remove(id);
      releaseWhenHeld.put(id, mark);
      armPoll();
    }
  }

  private void armPoll() {
    if (poll == null || poll.isDone()) {
      poll =
          timer.scheduleWithFixedDelay(
              () -> cluster.onCore().execute(this::advance),
              POLL_MILLIS,
              POLL_MILLIS,
              TimeUnit.MILLISECONDS);
    }
  }

  private int everyone() {
    return Math.max(cluster.majorityNow(), cluster.liveMembersNow().size());
  }

  /** Moves every round on as far as it can, then withdraws the reservations now held. */
  private void advance() {
    advanceRounds();
    withdrawHeld();
  }

  /** Moves every round on as far as it can; one catch-up serves every round ready for one. */
  private void advanceRounds() {
    if (open == 0) {
      return;
    }
    long now = System.nanoTime();
    for (Round r = byDeadline.peek(); r != null && now - r.deadline > 0; r = byDeadline.peek()) {
      byDeadline.poll();
      if (!r.done) {
        finish(r, false);
      }
    }
    int majority = cluster.majorityNow();
    long reservationsRead = -1;
    for (Round r = unheld.peekFirst(); r != null; r = unheld.peekFirst()) {
      if (!r.done) {
        if (scope.holdersNow(r.mark) < majority) {
          break;
        }
        if (reservationsRead < 0) {
          reservationsRead = scope.catchUpNow();
        }
        r.reservationsRead = reservationsRead;
        catchingUp.addLast(r);
      }
      unheld.pollFirst();
    }
    for (Round r = catchingUp.peekFirst(); r != null; r = catchingUp.peekFirst()) {
      if (!r.done && scope.caughtUpNow(r.reservationsRead) < majority) {
        break;
      }
      catchingUp.pollFirst();
      if (!r.done) {
        switch (rivals(r)) {
          case NONE -> finish(r, true);
          case LIVE -> finish(r, false);
          case ONLY_GONE -> {
            r.placementsRead = placements.catchUpNow();
            catchingUpPlacements.add(r);
          }
        }
      }
    }
    for (Iterator<Round> it = catchingUpPlacements.iterator(); it.hasNext(); ) {
      Round r = it.next();
      if (r.done) {
        it.remove();
      } else if (caughtUpWithEveryoneWhoMayRun(r.placementsRead)) {
        it.remove();
        boolean mayPlace = rivals(r) != Rivals.LIVE;
        if (mayPlace) {
          dropGone(r.id);
        }
        finish(r, mayPlace);
      }
    }
  }

  private void withdrawHeld() {
    if (!releaseWhenHeld.isEmpty()) {
      int all = everyone();
      for (Iterator<Map.Entry<String, Long>> it = releaseWhenHeld.entrySet().iterator();
          it.hasNext(); ) {
        Map.Entry<String, Long> e = it.next();
        if (placements.holdersNow(e.getValue()) < all) {
          break; // a later mark is not held either
        }
        var unused = scope.removeNow(key(e.getKey(), cluster.self().name()));
        it.remove();
      }
    }
    if (open == 0 && releaseWhenHeld.isEmpty() && poll != null) {
      byDeadline.clear(); // only finished rounds are left in it
      poll.cancel(false);
    }
  }

  private void finish(Round r, boolean mayPlace) {
    r.done = true;
    open--;
    if (!mayPlace) {
      release(r.id);
    }
    r.result.complete(mayPlace);
  }

  /** What a reservation round found besides its own reservation. */
  private enum Rivals {
    /** Nothing: no placement, no other arbiter's reservation. */
    NONE,
    /** A placement, or the reservation of an arbiter that may still act. */
    LIVE,
    /** Only reservations of arbiters gone for good (each may have placed the id unseen). */
    ONLY_GONE
  }

  private Rivals rivals(Round r) {
    String id = r.id;
    Placement p = placements.getNow(id);
    if (r.replacing == null ? p != null && !p.terminated() : !r.replacing.sameAs(p)) {
      return Rivals.LIVE;
    }
    String self = cluster.self().name();
    Rivals found = Rivals.NONE;
    for (String arbiter : byId.getOrDefault(id, Set.of())) {
      NodeId who = arbiter.equals(self) ? null : scope.getNow(key(id, arbiter));
      if (who == null) {
        continue;
      }
      if (!cluster.isGoneForGoodNow(who)) {
        return Rivals.LIVE;
      }
      found = Rivals.ONLY_GONE;
    }
    return found;
  }

  /** Withdraws the reservations of {@code id} by arbiters gone for good: they will never do it. */
  private void dropGone(String id) {
    String self = cluster.self().name();
    for (String arbiter : List.copyOf(byId.getOrDefault(id, Set.of()))) {
      NodeId who = arbiter.equals(self) ? null : scope.getNow(key(id, arbiter));
      if (who != null && cluster.isGoneForGoodNow(who)) {
        var unused = scope.removeNow(key(id, arbiter));
      }
    }
  }

  /** Whether the placements caught up since {@code mark} with every node that may run children. */
  private boolean caughtUpWithEveryoneWhoMayRun(long mark) {
    Set<String> heard = placements.caughtUpWithNow(mark);
    for (NodeId n : mayRun.get()) {
      if (!heard.contains(n.name())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Core thread: this node goes on as a new incarnation. What the earlier one wrote is not counted
   * by the new one's replicator (a mark of it is never held), so a round waiting on such a mark
   * would wait for its deadline, and a withdrawal for ever, holding up every later one. The rounds
   * are given up (they are tried again); the reservations waiting to be withdrawn stay: they name
   * the earlier incarnation, which a rival takes as gone for good, so it checks the placements
   * instead and drops them.
   */
  private void reincarnated() {
    for (Round r : List.copyOf(byDeadline)) {
      if (!r.done) {
        finish(r, false);
      }
    }
    releaseWhenHeld.clear();
  }

  /** Core thread: gives up every round (the supervisor stops). */
  void failAll() {
    for (Round r : List.copyOf(byDeadline)) {
      if (!r.done) {
        finish(r, false);
      }
    }
    byDeadline.clear();
    unheld.clear();
    catchingUp.clear();
    catchingUpPlacements.clear();
  }
}
