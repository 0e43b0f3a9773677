package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failover: finds the nodes whose children are orphans and claims them. Each orphan has one
 * claimer, the rendezvous choice for its id among the nodes that may be claiming ({@link
 * Roster#claimers}): every node whose roster entry says it runs, unless it is itself an orphan
 * source. Not the live members a node sees: two nodes that each see the other down while both hold
 * their leases would both be claimers. If A and B both claimed, each would be the other's better
 * choice unless one rules the other out, and a node A rules out (its lease lapsed, its process
 * ended) claims nothing until it is free again and caught up. The claimer then lets the strategy
 * choose the target among the members with the child's factory and writes the placement with
 * generation + 1. With a quorum strategy the claimer first reserves the orphan ({@link
 * Reservations}): rosters differ for a moment (a node that just joined, nodes back from a
 * whole-cluster restart at once), and two nodes that each are the claimer in their own view would
 * both claim, two copies at one generation; of two reserving at once at most one claims, and a
 * claimer that saw a rival tries again on a later pass.
 *
 * <p>A node is an orphan source when it is gone (plain strategy: down, left, replaced), or with a
 * quorum strategy when its lease must have lapsed (its process ended, a quorum's evidence, or its
 * own word), or when its supervisor says it stopped. With a quorum strategy a child is claimed only
 * once its own shutdown timeout has passed since (so the old copy has stopped), at once when the
 * process is known to have ended. Clocks are kept per incarnation: a quick restart under the same
 * name starts afresh and never stalls an older incarnation's clock.
 *
 * <p>Cost: each {@link #tick} looks at the nodes that hold placements, and at the children of
 * orphan sources only: flat in the number of children when nothing fails.
 *
 * <p>Threading: core thread.
 */
final class Orphans {
  private static final Logger log = LoggerFactory.getLogger(Orphans.class);

  /**
   * How long the children of a node that left after handing them over wait before they are taken as
   * orphans: their new placements were acknowledged by its neighbours before it left, and reach a
   * node that joined meanwhile by the next digest repair, well within this.
   */
  static final long HANDED_OVER_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** How long a claim's reservation round may take before it is given up (and tried again). */
  private static final long CLAIM_ROUND_NANOS = TimeUnit.SECONDS.toNanos(5);

  /**
   * The most reservation rounds on their way at once, and the most reserved claims written in one
   * core task: the core also carries this node's heartbeats, and one pass that reserved or claimed
   * the 33,000 orphans of a whole-cluster restart held it for over a second, long enough for leases
   * to lapse. The rest follow on the next passes (a pass every 100 ms at least).
   */
  static final int BATCH = 1024;

  private final Cluster cluster;
  private final String name;
  private final Scope<String, Placement> scope;
  private final Roster roster;
  private final DistributionStrategy strategy;
  private final LocalRuns runs;
  private final Fence fence;
  private final Runnable onClaim;
  private Map<NodeId, Long> orphanedSince = new HashMap<>();
  private final PreviousLife previousLife;
  private final @Nullable Reservations reservations;
  private final Set<String> reserving = new HashSet<>(); // a reservation round on its way
  private List<Placement> reserved = new ArrayList<>(); // orphans this node may claim now
  private boolean drainScheduled;
  // Orphans another claimer takes, for the claimers they were weighed against: a pass skips them
  // with one lookup instead of weighing them again (tens of thousands after a restart).
  private List<NodeId> weighedAgainst = List.of();
  private final Set<String> othersToClaim = new HashSet<>();

  Orphans(
      Cluster cluster,
      String name,
      Scope<String, Placement> scope,
      Roster roster,
      DistributionStrategy strategy,
      LocalRuns runs,
      Fence fence,
      @Nullable Reservations reservations,
      Runnable onClaim) {
    this.cluster = cluster;
    this.reservations = reservations;
    this.name = name;
    this.scope = scope;
    this.roster = roster;
    this.strategy = strategy;
    this.runs = runs;
    this.fence = fence;
    this.onClaim = onClaim;
    this.previousLife = new PreviousLife(cluster, scope);
  }

  /** Whether there are orphans waiting (for their claimer, or their shutdown timeout). */
  boolean waiting() {
    return !orphanedSince.isEmpty();
  }

  private boolean isSource(NodeId node) {
    if (node.equals(cluster.self())) {
      return false;
    }
    if (roster.stopped(node)) {
      return true; // it says it runs nothing (stopped, escalated, or outside the member set)
    }
    return strategy.requiresQuorum() ? cluster.isLeaseLapsedNow(node) : cluster.isGoneNow(node);
  }

  /**
   * Removes the terminate markers seen at least {@code ageNanos} ago that this node is the claimer
   * of: by then no claim written before the marker can still be on its way.
   */
  void collectMarkers(long ageNanos) {
    List<NodeId> members = roster.members();
    for (String id : runs.markersOlderThan(ageNanos)) {
      Placement p = scope.getNow(id);
      Optional<NodeId> collector = DistributionStrategy.Rendezvous.best(id, members);
      if (p != null
          && p.terminated()
          && collector.isPresent()
          && collector.get().equals(cluster.self())) {
        var unused = scope.removeNow(id);
      }
    }
  }

  /** One pass: updates the orphan clocks and claims what this node is the claimer of. */
  void tick() {
    long now = System.nanoTime();
    Map<NodeId, Long> since = new HashMap<>();
    for (NodeId node : runs.nodes()) {
      if (isSource(node)) {
        since.put(node, orphanedSince.getOrDefault(node, now));
      }
    }
    orphanedSince = since;
    if (since.isEmpty()) {
      othersToClaim.clear();
    }
    if (since.isEmpty() || !fence.mayClaim()) {
      return; // claims take a lease: a node cut off one way, or stalled, takes nobody's children
    }
    // Not the members this node sees: views differ (two nodes may each see the other down while
    // both hold leases), and every node that may be claiming must be weighed.
    List<NodeId> claimers = roster.claimers(this::isSource);
    if (!claimers.equals(weighedAgainst)) {
      othersToClaim.clear();
      weighedAgainst = claimers;
    }
    Map<String, Integer> load = null;
    Map<String, List<NodeId>> targets = new HashMap<>(); // per factory, for this pass
    int claimed = 0;
    for (Map.Entry<NodeId, Long> e : since.entrySet()) {
      long orphanedFor = now - e.getValue();
      if (cluster.formerMembersNow().contains(e.getKey()) && !previousLife.caughtUpNow()) {
        // A process of the cluster's previous life (a whole-cluster restart): its children are
        // claimed only once this node holds every placement a majority of that life held, so no
        // claim reuses a generation a placement it never saw already had.
        continue;
      }
      for (String id : runs.placedOn(e.getKey())) {
        if (reservations != null && reserving.size() >= BATCH) {
          break; // enough rounds on their way: the rest on a later pass
        }
        if (reserving.contains(id) || othersToClaim.contains(id)) {
          continue;
        }
        Optional<NodeId> claimer = DistributionStrategy.Rendezvous.best(id, claimers);
        if (claimer.isEmpty() || !claimer.get().equals(cluster.self())) {
          othersToClaim.add(id);
          continue;
        }
        Placement p = scope.getNow(id);
        if (p == null || p.terminated() || !claimable(p, orphanedFor)) {
          continue;
        }
        if (p.spec().restart() == Restart.TEMPORARY) {
          // A temporary child is not restarted anywhere.
          var unused = scope.putNow(id, p.terminatedBy(cluster.self()));
          continue;
        }
        Reservations r = reservations;
        if (r != null) {
          reserve(r, p, now);
          continue;
        }
        if (load == null) {
          load = Load.of(strategy, scope);
        }
        if (claim(p, load, targets.computeIfAbsent(p.spec().factory(), this::targets))) {
          claimed++;
        }
      }
    }
    if (claimed > 0) {
      log.info(
          "[{}] {}: claimed {} children of {}",
          cluster.self().name(),
          name,
          claimed,
          since.keySet());
    }
  }

  /** Reserves the orphan {@code p} unless a round for it is on its way; claims it on success. */
  private void reserve(Reservations r, Placement p, long now) {
    String id = p.spec().id();
    if (!reserving.add(id)) {
      return;
    }
    CompletableFuture<Boolean> round;
    try {
      round = r.reserve(id, p, now + CLAIM_ROUND_NANOS);
    } catch (RuntimeException e) {
      reserving.remove(id); // a pass takes at most BATCH rounds: none may stay here for good
      throw e;
    }
    var unused =
        round.whenComplete(
            (mayClaim, error) -> { // on the core, inside the reservations' pass
              reserving.remove(id);
              if (Boolean.TRUE.equals(mayClaim)) {
                reserved.add(p);
                if (!drainScheduled) {
                  drainScheduled = true;
                  cluster.onCore().execute(this::claimReserved);
                }
              }
            });
  }

  /** Core thread: claims the orphans reserved since the last call, in one batch. */
  private void claimReserved() {
    Reservations r = java.util.Objects.requireNonNull(reservations);
    List<Placement> batch;
    if (reserved.size() > BATCH) {
      List<Placement> head = reserved.subList(0, BATCH);
      batch = new ArrayList<>(head);
      head.clear();
      cluster.onCore().execute(this::claimReserved); // the rest after what waits on the core
    } else {
      drainScheduled = false;
      batch = reserved;
      reserved = new ArrayList<>();
    }
    Map<String, Integer> load = Load.of(strategy, scope);
    Map<String, List<NodeId>> targets = new HashMap<>();
    int claimed = 0;
    for (Placement p : batch) {
      String id = p.spec().id();
      if (fence.mayClaim()
          && p.sameAs(scope.getNow(id))
          && claim(p, load, targets.computeIfAbsent(p.spec().factory(), this::targets))) {
        claimed++;
        r.releaseWhenHeld(id, scope.writeMarkNow()); // a rival reserving later holds the claim
      } else {
        r.release(id);
      }
    }
    if (claimed > 0) {
      log.info(
          "[{}] {}: claimed {} children (reserved first)", cluster.self().name(), name, claimed);
    }
  }

  /**
   * The members with {@code factory} that are not orphan sources themselves: a node whose lease
   * lapsed stays live in the view until it is declared down, and a claim placed there would be
   * claimed again, one bounce per pass.
   */
  private List<NodeId> targets(String factory) {
    List<NodeId> out = new ArrayList<>(roster.targets(factory));
    out.removeIf(this::isSource);
    return out;
  }

  private boolean claim(Placement p, Map<String, Integer> load, List<NodeId> targets) {
    String id = p.spec().id();
    Optional<NodeId> target = strategy.choose(id, targets, load);
    if (target.isEmpty()) {
      return false; // no live member has its factory: it waits
    }
    onClaim.run();
    log.debug(
        "[{}] {}: claiming {} from {} for {} (generation {})",
        cluster.self().name(),
        name,
        id,
        p.node(),
        target.get(),
        p.generation() + 1);
    var unused =
        scope.putNow(id, new Placement(p.spec(), target.get(), p.generation() + 1, cluster.self()));
    load.merge(target.get().name(), 1, Integer::sum);
    return true;
  }

  /**
   * Whether an orphan may be claimed {@code orphanedFor} nanoseconds after its node became a
   * source: plain strategy at once; quorum strategy at once if the process ended, else after the
   * child's shutdown timeout (never for an infinite one).
   */
  private boolean claimable(@Nullable Placement p, long orphanedFor) {
    if (p == null) {
      return false;
    }
    if (cluster.leftGracefullyNow(p.node()) && orphanedFor < HANDED_OVER_WAIT_NANOS) {
      // It handed this child over before it left: the new placement is on its way here (a node
      // that joined while it left sees "left" before the hand-over; claiming now ran two copies).
      return false;
    }
    if (!strategy.requiresQuorum()
        || cluster.isProcessGoneNow(p.node())
        || roster.stopped(p.node())) {
      return true; // a roster entry says "not running" only once its children stopped
    }
    return switch (p.spec().shutdown()) {
      case Shutdown.Brutal b -> true;
      case Shutdown.Infinity i -> false;
      case Shutdown.Timeout t -> orphanedFor >= t.timeout().toNanos();
    };
  }
}
