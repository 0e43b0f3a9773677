package io.flock.supervisor;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.ClusterEvent;
import io.flock.membership.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What drives a distributed supervisor's parts on the core: placement changes go to the parts that
 * follow them (what runs here, messaging, checkpoints, events); membership and roster changes, and
 * a 100 ms failover clock, run one {@link #tick} (what runs here against the fence, the member set,
 * orphans, active redistribution); a lapsed lease stops every child here at once, on the lease
 * thread; a child that ended for good has its placement replaced by a terminate marker.
 *
 * <p>Threading: {@link #onLeaseLost} on the lease thread, {@link #start} on any thread, the rest on
 * the core thread.
 */
final class Reconciler {
  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

  /** How long a terminate marker stays: far longer than a claim can be on its way. */
  private static final long MARKER_AGE_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** The parts it drives. */
  record Parts(
      Scope<String, Placement> scope,
      LocalRuns runs,
      ChildMessaging messaging,
      Checkpoints checkpoints,
      PlacementPublisher publisher,
      Roster roster,
      @Nullable PlacementNames names,
      MemberSetFollower memberSet,
      Orphans orphans,
      HandOver handOver,
      Fence fence) {}

  private final String name;
  private final Cluster cluster;
  private final Parts parts;
  private final boolean quorum;
  private final boolean activeRedistribution;
  private final BooleanSupplier stopping;
  private boolean tickScheduled;

  Reconciler(
      String name,
      Cluster cluster,
      Parts parts,
      DistributionStrategy strategy,
      Redistribution redistribution,
      BooleanSupplier stopping) {
    this.name = name;
    this.cluster = cluster;
    this.parts = parts;
    this.quorum = strategy.requiresQuorum();
    this.activeRedistribution = redistribution == Redistribution.ACTIVE;
    this.stopping = stopping;
  }

  /** Subscribes to the placements, the roster and the cluster, and starts the failover clock. */
  void start(ScheduledExecutorService timer) {
    cluster.onCore().execute(this::subscribe);
    // The failover clock: cheap (it looks at nodes, and at orphans only), never a pass over all.
    var unused =
        timer.scheduleWithFixedDelay(
            () -> cluster.onCore().execute(this::scheduleTick), 100, 100, TimeUnit.MILLISECONDS);
  }

  private void subscribe() {
    Parts p = parts;
    p.scope()
        .subscribe(
            changes -> {
              if (!stopping.getAsBoolean()) {
                p.runs().onChanges(changes);
              }
              p.messaging().onChanges(changes);
              p.checkpoints().onPlacementChanges(changes);
              p.publisher().publish(changes);
            });
    p.roster().scope().subscribe(changes -> scheduleTick());
    PlacementNames n = p.names();
    if (n != null) {
      n.start();
    }
    cluster.subscribe(
        event -> {
          if (event instanceof ClusterEvent.Reincarnated r && !stopping.getAsBoolean()) {
            p.runs().reincarnated(r.current());
            p.roster().announce(true);
          }
          scheduleTick();
        });
    p.roster().announce(true);
    // What was placed here before this supervisor started (or replicated already).
    List<Change<String, Placement>> existing = new ArrayList<>();
    p.scope().forEachNow((id, placement) -> existing.add(new Change.Added<>(id, placement)));
    p.runs().onChanges(existing);
    scheduleTick();
  }

  /**
   * The lease lapsed (on the lease thread, not the core): with a quorum strategy every child here
   * is stopped at once; the core reconciles after.
   */
  void onLeaseLost() {
    parts.fence().leaseLost();
    if (quorum && !stopping.getAsBoolean()) {
      log.warn("[{}] {}: lease lost, stopping the children here now", cluster.self().name(), name);
      parts.runs().stopAllNow();
    }
    cluster.onCore().execute(this::scheduleTick);
  }

  /** Core thread: runs one {@link #tick} after the current task, however often asked. */
  private void scheduleTick() {
    if (!tickScheduled) {
      tickScheduled = true;
      cluster.onCore().execute(this::tick);
    }
  }

  private void tick() {
    tickScheduled = false;
    if (stopping.getAsBoolean()) {
      return;
    }
    Parts p = parts;
    p.runs().ensureAll();
    p.memberSet().follow(stopping);
    p.orphans().tick();
    p.orphans().collectMarkers(MARKER_AGE_NANOS);
    if (activeRedistribution && !p.fence().fencedNow()) {
      p.handOver().rebalance();
    }
  }

  /** Core thread: a local child ended; if for good, its placement gives way to a marker. */
  void exited(String id, boolean normal) {
    Placement p = parts.scope().getNow(id);
    if (p != null
        && !p.terminated()
        && p.node().equals(cluster.self())
        && !p.spec().restart().restartsAfter(normal)) {
      parts.runs().ended(id);
      var unused = parts.scope().putNow(id, p.terminatedBy(cluster.self()));
    }
  }
}
