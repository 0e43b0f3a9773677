package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.WireTypes;
import io.flock.supervisor.SupervisorException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A supervisor that spans the cluster (Horde.DynamicSupervisor for the JVM).
 *
 * <h2>How it works</h2>
 *
 * Every node runs one of these over the same {@link Cluster} and name. Placements live in one
 * replicated scope: child id → (spec, node incarnation, generation). {@link #startChild} asks the
 * {@link DistributionStrategy} for a live node and writes the placement; every node then
 * <em>reconciles</em> on the scope's changes, membership events and a periodic sweep, so that its
 * {@link LocalSupervisor} runs exactly the children assigned to it: it starts the ones it lacks and
 * stops the ones no longer its own, including one that lost a conflict after a partition healed.
 *
 * <ul>
 *   <li><b>Failover.</b> The children of a node that is down, left, or replaced by a newer
 *       incarnation are re-placed by the strategy over the live members; every node computes the
 *       same claimer, which writes the new placement with generation + 1 (concurrent claims are
 *       resolved by the CRDT). Temporary children are dropped; transient ones that exited normally
 *       are gone already.
 *   <li><b>Quorum and lease.</b> With a strategy that {@linkplain
 *       DistributionStrategy#requiresQuorum requires quorum}, a node without quorum stops its
 *       children and places none, and when its lease lapses ({@link Cluster#hasLease}) the lease
 *       thread stops them at once, without waiting for the core. The others claim a lost node's
 *       children only once its lease must have lapsed ({@link Cluster#isLeaseLapsedNow}: a quorum's
 *       evidence or its own word, never one node's silence) and each child's shutdown timeout has
 *       passed since, or at once when its process is known to have ended. The generation is the
 *       child's fencing token ({@link ChildContext#generation()}); {@link ChildContext#isCurrent}
 *       checks lease and generation before an effect.
 *   <li><b>Claims take a lease.</b> Under any strategy a node claims orphans only while it holds
 *       its lease: a node cut off one way, or stalled, takes nobody's children.
 *   <li><b>Redistribution.</b> {@link Redistribution#ACTIVE} also moves children whose best node
 *       changed when members join.
 *   <li><b>Graceful stop.</b> {@link #stop} hands this node's children to others, waits for the
 *       hand-over to replicate, then stops its local supervisor.
 * </ul>
 *
 * <p>Threading: public methods may be called from any thread, return futures with a deadline, and
 * never hang. Reconciliation runs on the cluster's core thread; children run on virtual threads of
 * the local supervisor.
 */
public final class DistributedSupervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DistributedSupervisor.class);

  private final String name;
  private final Cluster cluster;
  private final NodeId self;
  private final DistributionStrategy strategy;
  private final Redistribution redistribution;
  private final Duration callTimeout;
  private final Duration fencingMargin;
  private final int maxChildren;
  private final Set<String> factoryNames;
  private final LocalSupervisor local;
  private final Scope<String, Placement> scope;
  private final Counter failovers;
  private final Counter conflicts;
  // node incarnation -> nanos since it is an orphan source (lease lapsed, or gone)
  private Map<NodeId, Long> orphanedSince = new HashMap<>();
  // child -> generation of its placement on this node; read by the children's isCurrent()
  private final Map<String, Long> current = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean leaseLost;
  private final Map<String, Long> runningGeneration = new HashMap<>(); // child -> generation
  private volatile boolean stopping;
  private boolean wasFenced; // core thread
  private boolean reconcileScheduled; // core thread
  private long graceUntil; // core thread: nanoTime until which starts wait after regaining quorum
  private Thread sweeperThread = Thread.currentThread();

  private DistributedSupervisor(Builder b) {
    this.name = b.name;
    this.cluster = requireNonNull(b.cluster, "cluster");
    this.self = cluster.self();
    this.strategy = b.strategy;
    this.redistribution = b.redistribution;
    this.callTimeout = b.callTimeout;
    this.fencingMargin = b.fencingMargin;
    this.maxChildren = b.maxChildren;
    this.factoryNames = b.local.factoryNames();
    MeterRegistry meters = b.local.meters();
    this.failovers =
        Counter.builder("flock.children.failovers").tag("supervisor", name).register(meters);
    this.conflicts =
        Counter.builder("flock.children.conflicts").tag("supervisor", name).register(meters);
    // The local supervisor: the builder's factories, intensity, listeners and meters, plus ours.
    this.local =
        b.local
            .copy()
            .node(self.name())
            .listener(this::onLocalEvent)
            .currency(
                (id, generation) ->
                    cluster.hasLease() && Long.valueOf(generation).equals(current.get(id)))
            .build();
    this.scope = cluster.scope("supervisor." + name);
    // Incremental: a change costs work for its keys only (a burst of 10,000 placements does not
    // trigger 10,000 full passes); claims and consistency are the periodic full pass's job.
    scope.subscribe(this::onPlacementChanges);
  }

  /** The name of the supervisor's set of wire types. */
  public static final String WIRE_TYPES = "flock.supervisor";

  private static final WireTypes TYPES =
      WireTypes.builder(WIRE_TYPES).add(300, Placement.class, new Placement.Format()).build();

  /**
   * The supervisor's wire types: pass them to {@link io.flock.membership.ClusterBuilder#wireTypes}
   * on every node of a cluster that runs distributed supervisors. A node started without them is
   * refused by the others at the handshake, and {@link #builder} refuses a cluster that lacks them.
   */
  public static WireTypes wireTypes() {
    return TYPES;
  }

  /** A builder for a supervisor named {@code name} over {@code cluster}. */
  public static Builder builder(String name, Cluster cluster) {
    return new Builder(name, cluster);
  }

  /**
   * The lease lapsed (on the lease thread, not the core): with a quorum strategy every child here
   * is stopped at once; the core reconciles after.
   */
  private void onLeaseLost() {
    leaseLost = true;
    if (strategy.requiresQuorum() && !stopping) {
      log.warn("[{}] {}: lease lost, stopping {} children now", self.name(), name, current.size());
      for (String id : List.copyOf(current.keySet())) {
        background(local.terminateChild(id), error -> {});
      }
    }
    cluster.onCore().execute(this::scheduleReconcile);
  }

  private DistributedSupervisor start() {
    cluster.onLeaseLost(this::onLeaseLost);
    Thread sweeper =
        Thread.ofVirtual()
            .name("flock-sweep-" + name)
            .start(
                () -> {
                  while (!stopping) {
                    cluster.onCore().execute(this::scheduleReconcile);
                    try {
                      Thread.sleep(100);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
    sweeperThread = sweeper;
    cluster.onCore().execute(this::scheduleReconcile);
    return this;
  }

  /**
   * Starts a child somewhere in the cluster.
   *
   * @return where it was placed; fails with {@link SupervisorException}: {@code ALREADY_STARTED}
   *     (with the existing {@link ChildRef}), {@code NO_MEMBERS}, {@code NO_QUORUM}, {@code
   *     MAX_CHILDREN}, {@code UNKNOWN_FACTORY}, {@code STOPPED}, {@code TIMEOUT}
   */
  public CompletableFuture<ChildRef> startChild(ChildSpec spec) {
    requireNonNull(spec, "spec");
    return onCore(
        () -> {
          checkRunning();
          Placement existing = scope.getNow(spec.id());
          if (existing != null) {
            throw new SupervisorException(
                Reason.ALREADY_STARTED,
                "child " + spec.id() + " already started",
                existing.ref(),
                null);
          }
          if (!factoryNames.contains(spec.factory())) {
            throw new SupervisorException(
                Reason.UNKNOWN_FACTORY, "no factory named '" + spec.factory() + "'");
          }
          if (scope.sizeNow() >= maxChildren) {
            throw new SupervisorException(
                Reason.MAX_CHILDREN, "supervisor " + name + " holds " + maxChildren + " children");
          }
          if (strategy.requiresQuorum() && !cluster.hasQuorumNow()) {
            throw new SupervisorException(Reason.NO_QUORUM, self.name() + " has no quorum");
          }
          NodeId node =
              choose(spec.id(), liveMembers(), load())
                  .orElseThrow(() -> new SupervisorException(Reason.NO_MEMBERS, "no live member"));
          Placement p = new Placement(spec, node, 1);
          scope.putNow(spec.id(), p);
          return p.ref();
        });
  }

  /**
   * Stops a child wherever it runs and forgets it.
   *
   * @return completes once the removal is recorded; fails with {@code NOT_FOUND}
   */
  public CompletableFuture<Void> terminateChild(String id) {
    requireNonNull(id, "id");
    return onCore(
        () -> {
          if (scope.getNow(id) == null) {
            throw new SupervisorException(Reason.NOT_FOUND, "no child " + id);
          }
          scope.removeNow(id);
          return null;
        });
  }

  /** Every child of the cluster, from the replicated state (no node is called). */
  public CompletableFuture<List<ChildRef>> whichChildren() {
    return onCore(
        () -> {
          List<ChildRef> out = new ArrayList<>();
          scope.forEachNow((id, p) -> out.add(p.ref()));
          out.sort((a, b) -> a.id().compareTo(b.id()));
          return out;
        });
  }

  /** Counts of the cluster's children, from the replicated state. */
  public CompletableFuture<ChildCounts> countChildren() {
    return onCore(
        () -> {
          int n = scope.sizeNow();
          return new ChildCounts(n, n, n);
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
   * Stops gracefully: hands this node's children over to other live members (generation + 1), waits
   * up to {@code timeout} for that to replicate, then stops the local supervisor. The cluster node
   * stays up; leave it with {@link Cluster#leave} afterwards.
   */
  public CompletableFuture<Void> stop(Duration timeout) {
    requireNonNull(timeout, "timeout");
    // First stop what runs here (no new starts: stopping), then hand the placements over, so two
    // copies never run at once; the children are down for the stop plus one replication hop.
    CompletableFuture<Void> stoppedHere =
        onCore(
                () -> {
                  stopping = true;
                  return null;
                })
            .thenCompose(v -> local.stop());
    return stoppedHere
        .thenCompose(v -> onCore(this::handOver))
        .thenCompose(v -> CompletableFuture.runAsync(() -> sleepQuietly(Duration.ofMillis(200))))
        .orTimeout(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS)
        .whenComplete((v, e) -> sweeperThread.interrupt());
  }

  private @org.jspecify.annotations.Nullable Void handOver() {
    List<NodeId> others = new ArrayList<>(liveMembers());
    others.removeIf(n -> n.equals(self));
    Map<String, Integer> load = load();
    List<Placement> mine = new ArrayList<>();
    scope.forEachNow(
        (id, p) -> {
          if (p.node().equals(self)) {
            mine.add(p);
          }
        });
    for (Placement p : mine) {
      Optional<NodeId> to = choose(p.spec().id(), others, load);
      if (to.isPresent()) {
        scope.putNow(p.spec().id(), new Placement(p.spec(), to.get(), p.generation() + 1));
        load.merge(to.get().name(), 1, Integer::sum);
      }
    }
    runningGeneration.clear();
    return null;
  }

  /** Stops at once, without handing over (to the cluster this node's children look orphaned). */
  @Override
  public void close() {
    stopping = true;
    sweeperThread.interrupt();
    local.close();
  }

  // ---- core thread ----

  private <T> CompletableFuture<T> onCore(Supplier<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    cluster
        .onCore()
        .execute(
            () -> {
              try {
                result.complete(task.get());
              } catch (RuntimeException e) {
                result.completeExceptionally(e);
              }
            });
    return result
        .orTimeout(callTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(
            e ->
                CompletableFuture.failedFuture(
                    e instanceof TimeoutException
                        ? new SupervisorException(
                            Reason.TIMEOUT, "no answer within " + callTimeout, null, e)
                        : e));
  }

  private void checkRunning() {
    if (stopping) {
      throw new SupervisorException(Reason.STOPPED, "supervisor " + name + " is stopping");
    }
  }

  private List<NodeId> liveMembers() {
    List<NodeId> live = new ArrayList<>(cluster.liveMembersNow());
    live.sort((a, b) -> a.name().compareTo(b.name()));
    return live;
  }

  private Map<String, Integer> load() {
    if (!strategy.usesLoad()) {
      return new HashMap<>(); // not read: skip the O(children) count
    }
    Map<String, Integer> load = new TreeMap<>();
    scope.forEachNow((id, p) -> load.merge(p.node().name(), 1, Integer::sum));
    return load;
  }

  private Optional<NodeId> choose(String id, List<NodeId> live, Map<String, Integer> load) {
    return strategy.choose(id, live, load);
  }

  /** Core thread: runs one {@link #reconcile} after the current task, however often asked. */
  private void scheduleReconcile() {
    if (!reconcileScheduled) {
      reconcileScheduled = true;
      cluster.onCore().execute(this::reconcile);
    }
  }

  /** Core thread: whether this node must not run children now (updates the rejoin grace). */
  private boolean fencedNow() {
    if (leaseLost && cluster.hasLease()) {
      leaseLost = false;
    }
    boolean noQuorum = strategy.requiresQuorum() && (!cluster.hasQuorumNow() || leaseLost);
    long nowNanos = System.nanoTime();
    if (noQuorum) {
      wasFenced = true;
    } else if (wasFenced) {
      wasFenced = false; // quorum regained: the majority's newer placements are on their way
      graceUntil = nowNanos + fencingMargin.toNanos();
    }
    // Until a grace period after regaining quorum has passed, stay fenced: starting our stale
    // placements before the majority's re-placements replicate would run a child twice.
    return noQuorum || nowNanos - graceUntil < 0;
  }

  private void onPlacementChanges(List<Change<String, Placement>> changes) {
    if (stopping) {
      return;
    }
    boolean fenced = fencedNow();
    for (Change<String, Placement> c : changes) {
      ensureLocal(c.key(), scope.getNow(c.key()), fenced);
    }
  }

  /** Makes the local copy of {@code id} match its placement {@code p} (null: none). */
  private void ensureLocal(
      String id, @org.jspecify.annotations.Nullable Placement p, boolean fenced) {
    if (p != null && p.node().equals(self)) {
      current.put(id, p.generation());
    } else {
      current.remove(id);
    }
    Long running = runningGeneration.get(id);
    if (p != null && p.node().equals(self) && !fenced) {
      long generation = p.generation();
      if (running == null) {
        runningGeneration.put(id, generation);
        background(
            local.startChild(p.spec(), generation),
            error -> cluster.onCore().execute(() -> runningGeneration.remove(id, generation)));
      } else if (running != generation) {
        runningGeneration.remove(id);
        background(local.terminateChild(id), error -> {}); // restarts at the new generation
      }
    } else if (running != null) {
      if (p != null && !fenced) {
        conflicts.increment();
        log.info(
            "[{}] {}: child {} now belongs to {}; stopping it here",
            self.name(),
            name,
            id,
            p.node());
      }
      runningGeneration.remove(id);
      background(local.terminateChild(id), error -> {});
    }
  }

  /**
   * Core thread: whether {@code node}'s children are orphans. Plain strategy: it is gone (down,
   * left, replaced). Quorum strategy: its lease must have lapsed (its process ended, a quorum's
   * evidence, or its own word), even if this node still hears it (it may be cut off the other way),
   * and never on this node's silence alone.
   */
  private boolean isOrphanSource(NodeId node, boolean quorumMode) {
    return quorumMode ? cluster.isLeaseLapsedNow(node) : cluster.isGoneNow(node);
  }

  /**
   * Whether an orphan may be claimed {@code orphanedFor} nanoseconds after its node became an
   * orphan source. Plain strategy: at once. Quorum strategy: at once if the node's process is known
   * to have ended; otherwise only once its lease must have lapsed (evidence, never this node's
   * silence alone) and the child's own shutdown timeout has passed since, so the old copy has
   * stopped (a child with an infinite shutdown moves only when its node's process is gone).
   */
  private boolean claimable(Placement p, long orphanedFor, boolean quorumMode) {
    if (!quorumMode || cluster.isProcessGoneNow(p.node())) {
      return true;
    }
    return switch (p.spec().shutdown()) {
      case Shutdown.Brutal b -> true;
      case Shutdown.Infinity i -> false;
      case Shutdown.Timeout t -> orphanedFor >= t.timeout().toNanos();
    };
  }

  /** Makes this node run exactly its assigned children, and claims orphans it should. */
  private void reconcile() {
    reconcileScheduled = false;
    if (stopping) {
      return;
    }
    boolean fenced = fencedNow();
    List<NodeId> live = liveMembers();
    long now = System.nanoTime();
    boolean quorumMode = strategy.requiresQuorum();
    Map<NodeId, Boolean> orphanSource = new HashMap<>();
    Map<NodeId, Long> since = new HashMap<>();
    Map<String, Placement> mine = new HashMap<>();
    List<Placement> orphans = new ArrayList<>();
    scope.forEachNow(
        (id, p) -> {
          if (p.node().equals(self)) {
            mine.put(id, p);
          } else if (orphanSource.computeIfAbsent(p.node(), n -> isOrphanSource(n, quorumMode))) {
            // Only from a node known to be gone (or, with quorum, whose lease lapsed): a node not
            // heard of yet (a fresh view) is neither.
            Long first = orphanedSince.get(p.node());
            since.putIfAbsent(p.node(), first == null ? now : first);
            orphans.add(p);
          }
        });
    orphanedSince = since; // keyed by incarnation: a quick same-name restart starts afresh
    // Run exactly what is ours (none when fenced).
    for (Map.Entry<String, Placement> e : mine.entrySet()) {
      ensureLocal(e.getKey(), e.getValue(), fenced);
    }
    for (String id : List.copyOf(runningGeneration.keySet())) {
      if (!mine.containsKey(id)) {
        ensureLocal(id, scope.getNow(id), fenced);
      }
    }
    // Claims take a lease: a node the cluster does not demonstrably hear (cut off one way, stalled)
    // never takes the others' children, whatever the strategy.
    if (fenced || !cluster.hasLease()) {
      return;
    }
    // Claim orphans this node is the deterministic claimer of.
    Map<String, Integer> load = null;
    for (Placement p : orphans) {
      if (!claimable(p, now - since.getOrDefault(p.node(), now), quorumMode)) {
        continue;
      }
      if (p.spec().restart() == Restart.TEMPORARY) {
        if (!live.isEmpty() && live.get(0).equals(self)) {
          scope.removeNow(p.spec().id());
        }
        continue;
      }
      if (load == null) {
        load = load();
      }
      Optional<NodeId> claimer = choose(p.spec().id(), live, load);
      if (claimer.isPresent() && claimer.get().equals(self)) {
        failovers.increment();
        log.info(
            "[{}] {}: claiming {} from {} (generation {})",
            self.name(),
            name,
            p.spec().id(),
            p.node(),
            p.generation() + 1);
        scope.putNow(p.spec().id(), new Placement(p.spec(), self, p.generation() + 1));
        load.merge(self.name(), 1, Integer::sum);
      }
    }
    if (redistribution == Redistribution.ACTIVE) {
      Map<String, Integer> current = load();
      for (Placement p : mine.values()) {
        Optional<NodeId> best = DistributionStrategy.Rendezvous.best(p.spec().id(), live);
        if (best.isPresent() && !best.get().equals(self)) {
          scope.putNow(p.spec().id(), new Placement(p.spec(), best.get(), p.generation() + 1));
          current.merge(best.get().name(), 1, Integer::sum);
        }
      }
    }
  }

  /** A local child ended for good: forget it cluster-wide. */
  private void onLocalEvent(SupervisorEvent event) {
    if (event instanceof SupervisorEvent.Exited exit) {
      cluster
          .onCore()
          .execute(
              () -> {
                Placement p = scope.getNow(exit.id());
                if (p != null
                    && p.node().equals(self)
                    && !p.spec().restart().restartsAfter(exit.normal())) {
                  runningGeneration.remove(exit.id());
                  scope.removeNow(exit.id());
                }
              });
    }
  }

  /** Lets a local operation finish on its own; a failure goes to {@code onError} and the log. */
  private void background(CompletableFuture<?> f, java.util.function.Consumer<Throwable> onError) {
    CompletableFuture<?> unused =
        f.whenComplete(
            (v, error) -> {
              if (error != null) {
                log.debug(
                    "[{}] {}: local operation failed: {}", self.name(), name, error.toString());
                onError.accept(error);
              }
            });
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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

    private Builder(String name, Cluster cluster) {
      requireNonNull(name, "name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("name must not be empty");
      }
      this.name = name;
      this.cluster = requireNonNull(cluster, "cluster");
      if (!cluster.settings().hasWireTypes(WIRE_TYPES)) {
        throw new IllegalArgumentException(
            "cluster "
                + cluster.self().name()
                + " was started without the supervisor's wire types: add"
                + " .wireTypes(DistributedSupervisor.wireTypes()) to its builder on every node");
      }
      this.local = LocalSupervisor.builder(name);
    }

    /** The placement strategy (default {@link DistributionStrategy#uniform()}). */
    public Builder strategy(DistributionStrategy strategy) {
      this.strategy = requireNonNull(strategy, "strategy");
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

    /** With a quorum strategy: how long after declaring a node down the majority waits. */
    public Builder fencingMargin(Duration margin) {
      requireNonNull(margin, "margin");
      if (margin.isNegative()) {
        throw new IllegalArgumentException("margin must not be negative");
      }
      this.fencingMargin = margin;
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

    /** Adds a listener of this node's local supervision events. */
    public Builder listener(SupervisorListener listener) {
      local.listener(listener);
      return this;
    }

    /** Where counts go. */
    public Builder meters(MeterRegistry meters) {
      local.meters(meters);
      return this;
    }

    /** Starts the supervisor on this node. */
    public DistributedSupervisor start() {
      return new DistributedSupervisor(this).start();
    }
  }
}
