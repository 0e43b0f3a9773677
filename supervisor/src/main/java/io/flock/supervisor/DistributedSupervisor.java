package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.WireTypes;
import io.flock.supervisor.SupervisorException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A supervisor that spans the cluster (Horde.DynamicSupervisor for the JVM).
 *
 * <h2>How it works</h2>
 *
 * Every node runs one of these over the same {@link Cluster} and name. Placements live in one
 * replicated scope: child id → (spec, node incarnation, generation, writer); a second scope, the
 * roster, says which nodes run the supervisor and with which factories. It is a facade over small
 * parts, each with one job:
 *
 * <ul>
 *   <li><b>Starts</b> ({@code Starts}): every start of an id is decided by one arbiter (rendezvous
 *       over the members that run the supervisor), which places it on a member the strategy chooses
 *       among those with the factory, and answers once the child runs there and a majority (quorum
 *       strategy) or two members hold the placement. Acknowledged means it will run.
 *   <li><b>What runs here</b> ({@code LocalRuns}): the local supervisor runs exactly the children
 *       placed on this node, driven by changes only; the target reports each start to the
 *       placement's writer.
 *   <li><b>Failover</b> ({@code Orphans}): the children of a node that is gone (plain strategy),
 *       whose lease must have lapsed (quorum strategy: a quorum's evidence or its own word, never
 *       one node's silence, and then only after each child's shutdown timeout, at once when its
 *       process ended), or whose supervisor stopped, are claimed by exactly one claimer per child
 *       (rendezvous over the members), which lets the strategy choose the target and writes
 *       generation + 1 (with a quorum strategy after reserving it, as a start is, since rosters
 *       differ for a moment). Claims take a lease: a node cut off one way, or stalled, takes
 *       nobody's.
 *   <li><b>Fencing</b> ({@code Fence}): with a quorum strategy a node without quorum or lease runs
 *       nothing; when the lease lapses the lease thread stops every child at once. The generation
 *       is the child's fencing token ({@link ChildContext#generation()}); {@link
 *       ChildContext#isCurrent} checks lease and generation before an effect.
 *   <li><b>Hand-over</b> ({@code HandOver}): {@link #stop}, an escalation of the local supervisor,
 *       and {@link Redistribution#ACTIVE} stop the old copy before they write the new placement.
 * </ul>
 *
 * <p>Idle cost is flat in the number of children: nothing sweeps the placements periodically; a 100
 * ms failover clock looks at the nodes that hold placements, and at orphans only.
 *
 * <p>Threading: public methods may be called from any thread, return futures with a deadline, and
 * never hang; after {@link #stop} or {@link #close} they fail at once with {@code STOPPED}. The
 * parts run on the cluster's core thread; children run on virtual threads of the local supervisor.
 */
public final class DistributedSupervisor implements AutoCloseable, Cluster.Service {
  private static final Logger log = LoggerFactory.getLogger(DistributedSupervisor.class);

  private final String name;
  private final Cluster cluster;
  private final DistributionStrategy strategy;
  private final Duration callTimeout;
  private final LocalSupervisor local;
  private final Scope<String, Placement> scope;
  private final Roster roster;
  private final Fence fence;
  private final Checkpoints checkpoints;
  private final LocalRuns runs;
  private final Starts starts;
  private final HandOver handOver;
  private final ScheduledExecutorService timer;
  private final SupervisorListeners subscribers;
  private final Counter startFailures;
  private final CoreCalls calls;
  private final @Nullable PlacementNames names;
  private final ChildMessaging messaging;
  private final Reconciler reconciler;
  private volatile boolean stopping;

  private DistributedSupervisor(Builder b) {
    this.name = b.name;
    this.cluster = b.cluster;
    this.strategy = b.strategy;
    this.callTimeout = b.callTimeout;
    this.subscribers =
        new SupervisorListeners("[" + cluster.self().name() + "] " + name, List.of());
    MeterRegistry meters = b.local.meters();
    Counter failovers =
        Counter.builder("flock.children.failovers").tag("supervisor", name).register(meters);
    this.startFailures =
        Counter.builder("flock.children.start.failures").tag("supervisor", name).register(meters);
    Counter conflicts =
        Counter.builder("flock.children.conflicts").tag("supervisor", name).register(meters);
    this.calls = new CoreCalls(cluster, name, callTimeout, () -> stopping);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "flock-supervisor-" + name + "-" + self().name());
              t.setDaemon(true);
              return t;
            });
    Mailboxes mailboxes = new Mailboxes(b.mailboxCapacity);
    this.scope =
        b.durable
            ? cluster.durableScope("supervisor." + name, Placement.ORDER)
            : cluster.scope("supervisor." + name, Placement.ORDER);
    this.fence = new Fence(cluster, scope, strategy.requiresQuorum(), b.fencingMargin);
    this.checkpoints =
        new Checkpoints(
            cluster, name, scope, fence, strategy.requiresQuorum(), callTimeout, timer, b.durable);
    // The local supervisor: the builder's factories, intensity, listeners and meters, plus ours.
    this.local =
        b.local
            .copy()
            .mailboxes(mailboxes)
            .checkpoints(checkpoints)
            .node(self().name())
            .listener(this::onLocalEvent)
            .currency((id, generation) -> cluster.hasLease() && isCurrent(id, generation))
            .build();
    this.roster = new Roster(cluster, name, List.copyOf(b.local.factoryNames()));
    // One node decides each fresh start and each claim, even while rosters differ.
    Reservations reservations =
        strategy.requiresQuorum()
            ? new Reservations(
                cluster, name, scope, timer, () -> roster.claimers(cluster::isLeaseLapsedNow))
            : null;
    this.starts =
        new Starts(
            cluster,
            name,
            scope,
            roster,
            strategy,
            fence,
            callTimeout,
            b.maxChildren,
            this::placedCount,
            timer,
            reservations,
            () -> stopping);
    this.runs =
        new LocalRuns(
            name,
            cluster.self(),
            scope,
            local,
            fence,
            starts::report,
            startFailures::increment,
            cluster.onCore(),
            timer);
    ChildNames childNames = b.names;
    this.messaging =
        new ChildMessaging(
            cluster, name, scope, runs, mailboxes, childNames, callTimeout, () -> stopping);
    this.handOver =
        new HandOver(cluster, name, scope, roster, strategy, runs, timer, messaging::moving);
    if (b.handOffLostCheckpoints) {
      LostCheckpoints.forward(checkpoints, messaging.messenger(), self().name(), name);
    }
    this.names =
        childNames == null
            ? null
            : new PlacementNames(
                cluster,
                name,
                scope,
                childNames,
                () -> stopping,
                mailboxes,
                b.nameConflictHandOff,
                timer);
    PlacementPublisher publisher = new PlacementPublisher(local, names, conflicts, this::self);
    this.reconciler =
        new Reconciler(
            name,
            cluster,
            new Reconciler.Parts(
                scope,
                runs,
                messaging,
                checkpoints,
                publisher,
                roster,
                names,
                new MemberSetFollower(cluster, roster, local),
                new Orphans(
                    cluster,
                    name,
                    scope,
                    roster,
                    strategy,
                    runs,
                    fence,
                    reservations,
                    failovers::increment),
                handOver,
                fence),
            strategy,
            b.redistribution,
            () -> stopping);
  }

  /** This node's current incarnation. */
  private NodeId self() {
    return cluster.self();
  }

  /**
   * This node's incarnation is down for the others (core thread): every child here stops now,
   * whatever the strategy, and none starts until the node rejoins as a new incarnation; completes
   * once they stopped. The others re-place them.
   */
  @Override
  public CompletableFuture<Void> stopWork() {
    log.warn("[{}] {}: this incarnation is down; stopping every child here", self().name(), name);
    return runs.stopAllForRejoin();
  }

  private int placedCount() {
    return runs.placedCount();
  }

  private boolean isCurrent(String id, long generation) {
    LocalRuns r = runs;
    return r != null && r.isCurrent(id, generation);
  }

  /** The name of the supervisor's set of wire types. */
  public static final String WIRE_TYPES = "flock.supervisor";

  /**
   * The supervisor's wire types: pass them to {@link io.flock.membership.ClusterBuilder#wireTypes}
   * on every node of a cluster that runs distributed supervisors. A node started without them is
   * refused by the others at the handshake, and {@link #builder} refuses a cluster that lacks them.
   */
  public static WireTypes wireTypes() {
    return SupervisorMessages.TYPES;
  }

  /**
   * How to send messages to this supervisor's children, from this node: by {@link ChildRef}, child
   * id or registered name (see {@link Messenger}). Children read them with {@link
   * ChildContext#receive}.
   */
  public Messenger messenger() {
    return messaging.messenger();
  }

  /**
   * Whether {@code ref} is the copy of its child that runs on this node now: placed here at that
   * generation, and this node's current incarnation (any thread).
   */
  public boolean runsHere(ChildRef ref) {
    requireNonNull(ref, "ref");
    return ref.node().equals(self()) && isCurrent(ref.id(), ref.generation());
  }

  /**
   * Adds a listener of this supervisor's events from now on, as {@link Builder#listener} does from
   * the start; same thread and rules. Removed by {@link #unsubscribe}.
   */
  public void subscribe(SupervisorListener listener) {
    subscribers.add(requireNonNull(listener, "listener"));
  }

  /** Removes a listener added by {@link #subscribe} (nothing if it was not added). */
  public void unsubscribe(SupervisorListener listener) {
    subscribers.remove(requireNonNull(listener, "listener"));
  }

  /** A builder for a supervisor named {@code name} over {@code cluster}. */
  public static Builder builder(String name, Cluster cluster) {
    return new Builder(name, cluster);
  }

  private DistributedSupervisor start() {
    cluster.onLeaseLost(reconciler::onLeaseLost);
    cluster.register(this);
    reconciler.start(timer);
    return this;
  }

  /**
   * Starts a child somewhere in the cluster. The call completes when the child runs on its target
   * and enough members hold its placement that losing the origin or any minority cannot lose it (a
   * majority with a quorum strategy, two members otherwise).
   *
   * @return where it runs; fails with {@link SupervisorException}: {@code ALREADY_STARTED} (with
   *     the existing {@link ChildRef}; of two concurrent starts of one id one is told this), {@code
   *     NO_MEMBERS}, {@code NO_QUORUM}, {@code MAX_CHILDREN}, {@code UNKNOWN_FACTORY} (no live
   *     member has it), {@code FACTORY_FAILED} (it threw on the target), {@code STOPPED}: nothing
   *     was placed; {@code TIMEOUT}: the outcome is unknown, the child may run. Fails with {@link
   *     IllegalArgumentException} if the spec encodes to more than the cluster's {@code
   *     maxValueBytes} (nothing is placed)
   */
  public CompletableFuture<ChildRef> startChild(ChildSpec spec) {
    requireNonNull(spec, "spec");
    return calls.compose(() -> starts.start(spec), callTimeout.plusSeconds(1));
  }

  /**
   * Stops a child wherever it runs and forgets it. With a quorum strategy it needs quorum.
   *
   * @return completes once the removal is recorded; fails with {@code NOT_FOUND}, {@code
   *     NO_QUORUM}, {@code STOPPED}
   */
  public CompletableFuture<Void> terminateChild(String id) {
    requireNonNull(id, "id");
    return calls.call(
        () -> {
          Placement p = scope.getNow(id);
          if (p == null || p.terminated()) {
            throw new SupervisorException(Reason.NOT_FOUND, "no child " + id);
          }
          if (strategy.requiresQuorum() && !cluster.hasQuorumNow()) {
            throw new SupervisorException(Reason.NO_QUORUM, self().name() + " has no quorum");
          }
          // A marker of generation + 1 beats a concurrent claim (add-wins would let a plain
          // remove lose to it); it is collected later.
          var unused = scope.putNow(id, p.terminatedBy(self()));
          return null;
        });
  }

  /** Every child of the cluster, from the replicated state (no node is called). */
  public CompletableFuture<List<ChildRef>> whichChildren() {
    return calls.call(
        () -> {
          List<ChildRef> out = new ArrayList<>();
          scope.forEachNow(
              (id, p) -> {
                if (!p.terminated()) {
                  out.add(p.ref());
                }
              });
          out.sort((a, b) -> a.id().compareTo(b.id()));
          return out;
        });
  }

  /**
   * Counts: {@code specs} and {@code workers} are the cluster's placements (from the replicated
   * state), {@code active} the children whose thread runs on this node now.
   */
  public CompletableFuture<ChildCounts> countChildren() {
    return calls.call(
        () -> {
          int n = runs.placedCount();
          return new ChildCounts(n, runs.runningCount(), n);
        });
  }

  /** The children this node runs now. */
  public CompletableFuture<List<ChildInfo>> localChildren() {
    return local.whichChildren();
  }

  /** Completes when this node has quorum; fails after {@code timeout}. */
  public CompletableFuture<Void> waitForQuorum(Duration timeout) {
    return cluster.awaitQuorum(timeout);
  }

  /**
   * Stops gracefully: stops this node's children, then hands them over to other members (generation
   * + 1; never two copies at once) and completes once every live member acknowledged the hand-over,
   * or {@code timeout} passed. The cluster node stays up; {@link Cluster#leave} stops its
   * supervisors this way by itself.
   *
   * @return fails with {@link SupervisorException} {@code TIMEOUT} if the children did not stop in
   *     time (they are then closed)
   */
  @Override
  public CompletableFuture<Void> stop(Duration timeout) {
    requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    if (stopping) {
      return CompletableFuture.completedFuture(null);
    }
    stopping = true;
    cluster.unregister(this);
    return local
        .stop()
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(v -> calls.onCore(() -> handOverThenFail(deadline)))
        .handle(
            (v, e) -> {
              shutDown();
              if (e != null) {
                local.close();
                // Not handed over: say so, so the others treat its children as orphans.
                cluster.onCore().execute(() -> roster.announce(false));
                throw new SupervisorException(
                    Reason.TIMEOUT,
                    "supervisor " + name + " did not stop within " + timeout,
                    null,
                    e);
              }
              return (Void) null;
            });
  }

  private CompletableFuture<Void> handOverThenFail(long deadline) {
    starts.failAll();
    return handOver.handOverAll(deadline);
  }

  /** Stops at once, without handing over (to the cluster this node's children look orphaned). */
  @Override
  public void close() {
    boolean wasStopping = stopping;
    stopping = true;
    cluster.unregister(this);
    local.close();
    if (!wasStopping) {
      cluster
          .onCore()
          .execute(
              () -> {
                starts.failAll();
                roster.announce(false);
              });
    }
    shutDown();
  }

  private void shutDown() {
    timer.shutdownNow();
    starts.close();
    messaging.close();
    checkpoints.close();
    SupervisorNamesInUse.release(cluster, name);
  }

  /** A local child ended for good, or the local supervisor escalated. */
  private void onLocalEvent(SupervisorEvent event) {
    subscribers.tell(event);
    switch (event) {
      case SupervisorEvent.Exited exit ->
          cluster.onCore().execute(() -> reconciler.exited(exit.id(), exit.normal()));
      case SupervisorEvent.Started s -> {
        PlacementNames n = names;
        if (n != null) {
          cluster.onCore().execute(() -> n.started(s.id(), s.generation()));
        }
      }
      case SupervisorEvent.Escalated e -> {
        log.warn(
            "[{}] {}: the local supervisor escalated; its children move once they stopped",
            self().name(),
            name);
        stopping = true;
        // Hand over only once every child here stopped: two copies never run at once.
        CompletableFuture<?> unused =
            local
                .stop()
                .handle((v, error) -> null)
                .thenCompose(
                    v ->
                        calls.onCore(
                            () -> handOver.handOverAll(System.nanoTime() + callTimeout.toNanos())));
      }
      default -> {}
    }
  }

  /** Builds a {@link DistributedSupervisor}; every setter validates its argument at once. */
  public static final class Builder {
    private final String name;
    private final Cluster cluster;
    private DistributionStrategy strategy = DistributionStrategy.uniform();
    private Redistribution redistribution = Redistribution.PASSIVE;
    private Duration callTimeout = Duration.ofSeconds(5);
    private Duration fencingMargin = Duration.ofSeconds(1);
    private int maxChildren = Integer.MAX_VALUE;
    private final LocalSupervisor.Builder local;
    private @Nullable ChildNames names;
    private int mailboxCapacity = Mailbox.DEFAULT_CAPACITY;
    private Duration nameConflictHandOff = Duration.ZERO;
    private boolean durable;
    private boolean handOffLostCheckpoints;

    private Builder(String name, Cluster cluster) {
      requireNonNull(name, "name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("name must not be empty");
      }
      this.name = name;
      this.cluster = requireNonNull(cluster, "cluster");
      cluster.settings().requireWireTypes(WIRE_TYPES, "DistributedSupervisor.wireTypes()");
      this.local = LocalSupervisor.builder(name);
    }

    /** The placement strategy (default {@link DistributionStrategy#uniform()}). */
    public Builder strategy(DistributionStrategy strategy) {
      this.strategy = requireNonNull(strategy, "strategy");
      return this;
    }

    /**
     * Keeps the placements and the checkpoints on each node's disk ({@link
     * io.flock.membership.ClusterBuilder#storage}), so that when the whole cluster restarts every
     * permanent and transient child runs again, at a higher generation, resuming from its last
     * acknowledged checkpoint (default: off; in memory only, and a whole-cluster restart begins
     * empty). Every node must build the supervisor the same way.
     *
     * <p>The children of the previous life are claimed once the cluster knows its processes ended
     * (each restarted node says which processes it knew); a node that restarts alone into a running
     * cluster just catches up. Needs storage on every node: {@link #start} throws {@link
     * IllegalStateException} without it.
     */
    public Builder durable() {
      this.durable = true;
      return this;
    }

    /**
     * After a conflict (plain strategy: a partition let two copies run and save), tells the winning
     * copy the loser's last checkpoint as a {@link LostCheckpoint} message, so it can merge it
     * (Swarm's {@code resolve_conflict}); default off: the winner's state is kept and the loser's
     * saves made beside it are dropped. Only saves the winner's line never continued from count as
     * lost (each checkpoint carries the one its generation began from).
     */
    public Builder handOffLostCheckpoints() {
      this.handOffLostCheckpoints = true;
      return this;
    }

    /** Passive (default) or active redistribution. */
    public Builder redistribution(Redistribution redistribution) {
      this.redistribution = requireNonNull(redistribution, "redistribution");
      return this;
    }

    /** The deadline of every public call (default 5 s). */
    public Builder callTimeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive");
      }
      this.callTimeout = timeout;
      return this;
    }

    /**
     * With a quorum strategy: how long a node that regained quorum and lease waits before it runs
     * its placements again, so the majority's newer placements reach it first (default 1 s).
     */
    public Builder fencingMargin(Duration margin) {
      requireNonNull(margin, "margin");
      if (margin.isNegative()) {
        throw new IllegalArgumentException("margin must not be negative");
      }
      this.fencingMargin = margin;
      return this;
    }

    /**
     * The most messages waiting in one child's mailbox on its node (default 1,000); beyond it a
     * {@code tell} or {@code ask} fails with {@link MessageException.Outcome#OVERLOADED}.
     */
    public Builder mailboxCapacity(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
      }
      this.mailboxCapacity = capacity;
      return this;
    }

    /**
     * How long a child that lost its name to a concurrent registration (made across a partition)
     * keeps running before it is stopped for good, with {@link NameLost} first in its mailbox: the
     * window in which it may hand its state to the winner (default zero: stopped at once, as Horde
     * does). Only with {@link #names}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder nameConflictHandOff(Duration window) {
      requireNonNull(window, "window");
      if (window.isNegative()) {
        throw new IllegalArgumentException("window must not be negative, was " + window);
      }
      this.nameConflictHandOff = window;
      return this;
    }

    /** The most children cluster-wide. */
    public Builder maxChildren(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxChildren must be >= 1, was " + max);
      }
      this.maxChildren = max;
      return this;
    }

    /**
     * Local restart intensity (default 3 in 5 s); see {@link LocalSupervisor.Builder#intensity}.
     */
    public Builder intensity(int maxRestarts, Duration window) {
      local.intensity(maxRestarts, window);
      return this;
    }

    /** Registers a factory (the same names on every node). */
    public Builder factory(String factoryName, ChildFactory factory) {
      local.factory(factoryName, factory);
      return this;
    }

    /**
     * Where children with a {@link ChildSpec#name} hold it (a {@code Registry}): registered when
     * the child starts at a placement (so it follows the child when it moves), unregistered when it
     * ends for good; a child of this node that loses its name to a concurrent registration is
     * stopped for good.
     */
    public Builder names(ChildNames names) {
      this.names = requireNonNull(names, "names");
      return this;
    }

    /**
     * Adds a listener: of what this node's children do, and of every child's placement in the
     * cluster ({@link SupervisorEvent.Placed}, {@link SupervisorEvent.Moved}, {@link
     * SupervisorEvent.Ended}); called on the supervisor's thread, in order.
     */
    public Builder listener(SupervisorListener listener) {
      local.listener(listener);
      return this;
    }

    /** Where counts go. */
    public Builder meters(MeterRegistry meters) {
      local.meters(meters);
      return this;
    }

    /**
     * Starts the supervisor on this node.
     *
     * @throws IllegalStateException if a supervisor of this name already runs on this node
     * @throws io.flock.membership.ClusterClosedException if the cluster node is closed
     */
    public DistributedSupervisor start() {
      SupervisorNamesInUse.claim(cluster, name);
      try {
        return new DistributedSupervisor(this).start();
      } catch (RuntimeException e) {
        SupervisorNamesInUse.release(cluster, name);
        throw e;
      }
    }
  }
}
