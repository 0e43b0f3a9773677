package io.flock.singleton;

import static java.util.Objects.requireNonNull;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.WireTypes;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.supervisor.Shutdown;
import io.flock.supervisor.SupervisorException;
import io.flock.supervisor.SupervisorException.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link Leader} in the whole cluster at a time (Elixir's GlobalChild, Stoker's Activator).
 *
 * <pre>{@code
 * Cluster cluster = Cluster.builder("shop", "n1")                // on every node that may lead
 *     .wireTypes(DistributedSupervisor.wireTypes())
 *     .wireTypes(Singleton.wireTypes())
 *     .seeds(List.of("10.0.0.1:7000")).secret(secret).start();
 * Singleton billing = Singleton.builder("billing", cluster)
 *     .leader(BillingLeader::new)                                // a new instance per term
 *     .startDelay(Duration.ofSeconds(2))                         // let the cluster form first
 *     .start();
 * billing.status().join().leader();                              // from any node
 * }</pre>
 *
 * <p><b>How it works.</b> The singleton is the one child of a {@link DistributedSupervisor} of its
 * own ({@code singleton.<name>}), so it carries that supervisor's guarantees: it runs only on a
 * node that holds its lease (quorum), a term stops before the next starts (a node that loses its
 * lease stops the term at once, and the others wait for the lapse plus the shutdown timeout before
 * they take over), and every new placement has a higher generation, which is the term's fencing
 * token. The placement is sticky: the singleton moves only when its node leaves, stops, loses its
 * lease or is known gone, never when a node joins. A graceful stop hands over (this term's {@link
 * Leader#onShutdown} returns, then the next term's {@link Leader#onLeader} begins), to the most
 * recently started other node by default, so a rolling restart moves it once, when its own node
 * restarts.
 *
 * <p>Threading: every method may be called from any thread; calls return futures with a deadline
 * and never hang. The callbacks' thread is described at {@link Leader}. Nullness: no argument may
 * be null.
 */
public final class Singleton implements Cluster.Service, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Singleton.class);
  private static final String FACTORY = "singleton";
  private static final long RETRY_MILLIS = 250;

  private final String name;
  private final Cluster cluster;
  private final DistributedSupervisor supervisor;
  private final Scope<String, LeaderRecord> records;
  private final Activator activator;
  private final ChildSpec spec;
  private final ScheduledExecutorService timer;

  private Singleton(Builder b, Supplier<? extends Leader> leaders) {
    this.name = b.name;
    this.cluster = b.cluster;
    this.records = cluster.scope("singleton." + name, LeaderRecord.ORDER);
    this.activator = new Activator(name, cluster, leaders, records);
    this.spec = ChildSpec.of(name, FACTORY).withShutdown(Shutdown.timeout(b.shutdownTimeout));
    DistributedSupervisor.Builder terms =
        DistributedSupervisor.builder("singleton." + name, cluster)
            .strategy(b.strategy)
            .callTimeout(b.callTimeout)
            .factory(FACTORY, s -> new Term(activator));
    this.supervisor = (b.durable ? terms.durable() : terms).start();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "flock-singleton-" + name + "-" + cluster.self().name());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * A builder for the singleton {@code name} on {@code cluster}.
   *
   * @throws IllegalArgumentException if {@code name} is empty or longer than 200 characters, or the
   *     cluster lacks {@link #wireTypes()} or {@link DistributedSupervisor#wireTypes()}
   */
  public static Builder builder(String name, Cluster cluster) {
    return new Builder(name, cluster);
  }

  /** The singleton's wire types: pass them to {@code ClusterBuilder.wireTypes} on every node. */
  public static WireTypes wireTypes() {
    return SingletonWire.TYPES;
  }

  /** The singleton's name. */
  public String name() {
    return name;
  }

  private Singleton begin(Duration startDelay) {
    cluster.register(this);
    cluster.subscribe(activator);
    schedule(this::place, startDelay.toMillis());
    return this;
  }

  /** Places the singleton unless it is placed already; retries while that cannot be known. */
  private void place() {
    if (activator.stopped()) {
      return;
    }
    var unused =
        supervisor
            .startChild(spec)
            .whenComplete(
                (ref, error) -> {
                  if (error == null) {
                    log.debug("[{}] singleton {} placed on {}", cluster.self().name(), name, ref);
                    return;
                  }
                  Throwable cause = error instanceof CompletionException c ? c.getCause() : error;
                  if (cause instanceof SupervisorException s
                      && (s.reason() == Reason.ALREADY_STARTED || s.reason() == Reason.STOPPED)) {
                    return; // placed already (the supervisor keeps it placed), or we stopped
                  }
                  log.debug(
                      "[{}] singleton {}: not placed yet ({})", cluster.self().name(), name, cause);
                  schedule(this::place, RETRY_MILLIS);
                });
  }

  private void schedule(Runnable task, long millis) {
    try {
      var unused = timer.schedule(task, millis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopped) {
      // stopped meanwhile
    }
  }

  /**
   * Where the singleton runs and what its leader last said, from this node's replicas (no node is
   * called): the leader is the placement's node; its start time and dump come from the leader's
   * last publication of the same term, and are absent until that arrived.
   *
   * @return fails with {@link SupervisorException} {@code STOPPED} after {@link #stop}/{@link
   *     #close}, {@code TIMEOUT} if this node's core does not answer in time
   */
  public CompletableFuture<SingletonStatus> status() {
    CompletableFuture<List<ChildRef>> placed = supervisor.whichChildren();
    CompletableFuture<Map<String, LeaderRecord>> published = records.snapshot();
    return placed.thenCombine(published, (p, r) -> statusOf(p, r.values()));
  }

  private SingletonStatus statusOf(
      List<ChildRef> placed, java.util.Collection<LeaderRecord> published) {
    ChildRef ref = placed.stream().filter(c -> c.id().equals(name)).findFirst().orElse(null);
    NodeId leader = ref == null ? null : ref.node();
    long generation = ref == null ? 0 : ref.generation();
    LeaderRecord r = null;
    for (LeaderRecord p : published) {
      if (p.leader().equals(leader) && p.generation() == generation) {
        r = p;
      }
    }
    return new SingletonStatus(
        name,
        leader,
        generation,
        r == null ? null : Instant.ofEpochMilli(r.sinceMillis()),
        r == null ? Map.of() : r.dump(),
        r == null ? null : Instant.ofEpochMilli(r.dumpedAtMillis()),
        activator.activity(),
        activator.createdAt());
  }

  /**
   * Stops this node's activator gracefully: if it leads, its term ends ({@link
   * ShutdownReason#HANDED_OVER}) and then another node's term begins. {@link Cluster#leave} does
   * this by itself.
   *
   * @return completes once the hand-over is acknowledged, or fails with {@link SupervisorException}
   *     {@code TIMEOUT} (the term was then cut short, and the others take over as from a crash)
   */
  @Override
  public CompletableFuture<Void> stop(Duration timeout) {
    requireNonNull(timeout, "timeout");
    activator.stopping();
    timer.shutdownNow();
    cluster.unregister(this);
    return supervisor.stop(timeout);
  }

  /** Stops at once, without handing over (to the others it looks like a crash). Idempotent. */
  @Override
  public void close() {
    activator.closing();
    timer.shutdownNow();
    cluster.unregister(this);
    supervisor.close();
  }

  @Override
  public CompletableFuture<Void> stopWork() {
    activator.down();
    return CompletableFuture.completedFuture(null);
  }

  /** Builds a {@link Singleton}; every setter validates its argument at once. */
  public static final class Builder {
    private final String name;
    private final Cluster cluster;
    private @Nullable Supplier<? extends Leader> leaders;
    private Duration startDelay = Duration.ZERO;
    private Duration shutdownTimeout = Duration.ofSeconds(1);
    private Duration callTimeout = Duration.ofSeconds(5);
    private DistributionStrategy strategy = Youngest.QUORUM;
    private boolean durable;

    private Builder(String name, Cluster cluster) {
      requireNonNull(name, "name");
      requireNonNull(cluster, "cluster");
      if (name.isEmpty() || name.length() > 200) {
        throw new IllegalArgumentException(
            "name must have 1 to 200 characters, was " + name.length());
      }
      cluster.settings().requireWireTypes(SingletonWire.MODULE, "Singleton.wireTypes()");
      cluster
          .settings()
          .requireWireTypes(DistributedSupervisor.WIRE_TYPES, "DistributedSupervisor.wireTypes()");
      this.name = name;
      this.cluster = cluster;
    }

    private static Duration notNegative(Duration d, String parameter) {
      requireNonNull(d, parameter);
      if (d.isNegative()) {
        throw new IllegalArgumentException(parameter + " must not be negative, was " + d);
      }
      return d;
    }

    /** Makes the leader of each term (called on the node that becomes leader; required). */
    public Builder leader(Supplier<? extends Leader> leaders) {
      this.leaders = requireNonNull(leaders, "leaders");
      return this;
    }

    /**
     * How long {@link #start} waits before this node first tries to place the singleton
     * (GlobalChild's {@code sleep}; default 0). A term never starts without quorum anyway; the
     * delay lets the cluster form so the first placement does not land on the first node up.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder startDelay(Duration delay) {
      this.startDelay = notNegative(delay, "delay");
      return this;
    }

    /**
     * How long {@link Leader#onShutdown} may take (default 1 s). A silent loss of the leader's node
     * is taken over after its lease lapsed plus this.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = notNegative(timeout, "timeout");
      return this;
    }

    /**
     * The deadline of {@link #status} and of each placement attempt (default 5 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder callTimeout(Duration timeout) {
      if (notNegative(timeout, "timeout").isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.callTimeout = timeout;
      return this;
    }

    /**
     * Where a term runs (default: the most recently started eligible node, with quorum). A strategy
     * without quorum gives up the fencing: two terms may overlap across a partition.
     */
    public Builder strategy(DistributionStrategy strategy) {
      this.strategy = requireNonNull(strategy, "strategy");
      return this;
    }

    /**
     * Keeps the singleton's placement on each node's disk ({@link
     * io.flock.membership.ClusterBuilder#storage}), so that after a whole-cluster restart its
     * fencing token ({@link LeaderContext#generation}) goes on growing from where it was instead of
     * starting again at 1, which an outside system that saw the old tokens would refuse (default:
     * off). The leaders' published records belong to live terms and are not kept. Every node must
     * build the singleton the same way; {@link #start} throws {@link IllegalStateException} if the
     * cluster has no storage.
     */
    public Builder durable() {
      this.durable = true;
      return this;
    }

    /**
     * Starts this node's activator: it may now lead, and places the singleton after the start delay
     * unless it is placed already.
     *
     * @throws IllegalStateException if no {@link #leader} was given
     * @throws IllegalArgumentException if a singleton of this name runs on this node already
     */
    public Singleton start() {
      Supplier<? extends Leader> l = leaders;
      if (l == null) {
        throw new IllegalStateException("singleton " + name + " needs a leader supplier");
      }
      return new Singleton(this, l).begin(startDelay);
    }
  }
}
