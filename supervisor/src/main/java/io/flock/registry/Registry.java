package io.flock.registry;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.Endpoint;
import io.flock.membership.Scope;
import io.flock.membership.WireTypes;
import io.flock.registry.RegistryException.Reason;
import io.flock.registry.RegistryWire.WriteBatch;
import io.flock.registry.RegistryWire.WriteRequest;
import io.flock.supervisor.ChildRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster-wide registry of unique names, each owned by a child ({@code Horde.Registry}). Names
 * live in a replicated scope ({@code registry.<name>}); every node mirrors it, so {@link #lookup}
 * is a local read from any thread (no remote call).
 *
 * <pre>{@code
 * Registry names = Registry.builder("names", cluster).start();   // cluster built with
 * names.register("orders-7", ref).join();                         // .wireTypes(Registry.wireTypes())
 * Optional<ChildRef> owner = names.lookup("orders-7");
 * }</pre>
 *
 * <p><b>Guarantees.</b> Every write of one name goes to that name's arbiter (rendezvous over the
 * live members; the node itself when it is alone, still joining or fenced), so two registrations of
 * one name, from one node or from two, meet on one core thread: one wins, the other fails with
 * {@code ALREADY_REGISTERED} and the owner. A registration is acknowledged once enough members hold
 * it: a majority in quorum mode (refused without quorum), two otherwise (or every live member if
 * fewer), and once the registering node's own replica shows it (read-your-writes). If the arbiter
 * goes away meanwhile, the next one is asked. Registrations made on both sides of a partition
 * resolve after the heal to the same winner on every node by a clock-free order (higher owner
 * generation, then the owner node's older incarnation, then node name, then child id); the loser is
 * told exactly once, on its own node ({@link RegistryEvent.ConflictLost}). The names of a node stay
 * while it is merely unreachable and go once it is known gone (down, left, removed, replaced by a
 * new incarnation): one live member removes them.
 *
 * <p>Threading: every method from any thread; futures complete on internal threads; listeners run
 * on the cluster's core thread and must be quick. Nulls are refused ({@link NullPointerException}
 * naming the parameter).
 */
public final class Registry implements AutoCloseable, io.flock.supervisor.ChildNames {
  private static final Logger log = LoggerFactory.getLogger(Registry.class);

  private final String name;
  private final Cluster cluster;
  private final Scope<String, Registration> scope;
  private final Names names;
  private final List<Consumer<RegistryEvent>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer;
  private final RegistryArbiter arbiter;
  private final RegistryCalls calls;
  private final GoneNames gone;
  private final Endpoint<WriteBatch> writes;
  private final CompletableFuture<RegistryCalls> callsReady = new CompletableFuture<>();
  private volatile boolean closed;

  private Registry(Builder b) {
    this.name = b.name;
    this.cluster = b.cluster;
    this.scope = cluster.scope("registry." + name, RegistryWire.ORDER);
    this.names = new Names(cluster::self, cluster::isGoneNow);
    this.listeners.addAll(b.listeners);
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread th = new Thread(r, "flock-registry-" + name + "-" + cluster.self().name());
              th.setDaemon(true);
              return th;
            });
    t.setRemoveOnCancelPolicy(true); // a call's expiry leaves the queue once the call is done
    this.timer = t;
    this.arbiter =
        new RegistryArbiter(cluster, scope, b.quorum, b.callTimeout, timer, this::stopped);
    this.gone = new GoneNames(cluster, name, scope, names);
    this.writes = cluster.endpoint("registry." + name + ".writes", WriteBatch.class, this::onBatch);
    this.calls =
        new RegistryCalls(cluster, writes, arbiter, names, timer, b.callTimeout, this::stopped);
    callsReady.complete(calls);
  }

  /** The registry's wire types: pass them to {@code ClusterBuilder.wireTypes} on every node. */
  public static WireTypes wireTypes() {
    return RegistryWire.TYPES;
  }

  /**
   * A builder for a registry named {@code name} over {@code cluster}.
   *
   * @throws IllegalArgumentException if {@code name} is empty or the cluster lacks {@link
   *     #wireTypes()}
   */
  public static Builder builder(String name, Cluster cluster) {
    return new Builder(name, cluster);
  }

  private Registry start() {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    cluster
        .onCore()
        .execute(
            () -> {
              List<Change<String, Registration>> existing = new ArrayList<>();
              scope.forEachNow((k, r) -> existing.add(new Change.Added<>(k, r)));
              var unused = names.onChanges(existing);
              scope.subscribe(
                  changes -> {
                    publish(names.onChanges(changes));
                    calls.changed(changes);
                  });
              ready.complete(null);
            });
    ready.join();
    var unused =
        timer.scheduleWithFixedDelay(
            () ->
                cluster
                    .onCore()
                    .execute(
                        () -> {
                          if (!closed) {
                            gone.sweep();
                          }
                        }),
            200,
            200,
            TimeUnit.MILLISECONDS);
    return this;
  }

  /** Registers {@code name} for {@code ref} without metadata. */
  @Override
  public CompletableFuture<Registration> register(String name, ChildRef ref) {
    return register(name, ref, Map.of());
  }

  /**
   * Registers {@code name} for {@code ref}. The same child (same id) may register a name again, for
   * instance at a new generation after it moved; another child's name is refused.
   *
   * @return the registration once acknowledged; fails with {@link RegistryException}: {@code
   *     ALREADY_REGISTERED} (with the owner), {@code NO_QUORUM}, {@code TIMEOUT} (it may have
   *     happened), {@code STOPPED}
   * @throws IllegalArgumentException if {@code name} is empty
   */
  public CompletableFuture<Registration> register(
      String name, ChildRef ref, Map<String, String> meta) {
    requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name must not be empty");
    }
    Registration wanted = new Registration(name, requireNonNull(ref, "ref"), meta);
    return calls.route(new WriteRequest(RegistryWire.REGISTER, name, wanted));
  }

  /**
   * Unregisters {@code name} (whoever owns it).
   *
   * @return fails with {@code NOT_FOUND} if it is not registered, or as {@link #register}
   */
  public CompletableFuture<Registration> unregister(String name) {
    requireNonNull(name, "name");
    return calls.route(new WriteRequest(RegistryWire.UNREGISTER, name, null));
  }

  /**
   * Replaces the metadata of {@code name}.
   *
   * @return fails with {@code NOT_FOUND} if it is not registered, or as {@link #register}
   */
  public CompletableFuture<Registration> putMeta(String name, Map<String, String> meta) {
    requireNonNull(name, "name");
    requireNonNull(meta, "meta");
    ChildRef none = new ChildRef(name, cluster.self(), 0); // the arbiter keeps the owner
    return calls.route(
        new WriteRequest(RegistryWire.PUT_META, name, new Registration(name, none, meta)));
  }

  /** Unregisters {@code name} if the child of {@code ref} (by id) holds it (fire and forget). */
  @Override
  public void unregisterIfHeld(String name, ChildRef ref) {
    requireNonNull(name, "name");
    requireNonNull(ref, "ref");
    cluster
        .onCore()
        .execute(
            () -> {
              Registration r = scope.getNow(name);
              if (!closed && r != null && r.ref().id().equals(ref.id())) {
                var unused = scope.removeNow(name);
              }
            });
  }

  /** {@code listener} hears, on this node, each of its children that lost a name conflict. */
  @Override
  public void onConflictLost(ConflictListener listener) {
    requireNonNull(listener, "listener");
    subscribe(
        e -> {
          if (e instanceof RegistryEvent.ConflictLost lost) {
            listener.lost(lost.name(), lost.loser().ref(), lost.winner().ref());
          }
        });
  }

  /** The owner of {@code name} in this node's replica (any thread, no remote call). */
  @Override
  public Optional<ChildRef> lookup(String name) {
    Registration r = names.get(requireNonNull(name, "name"));
    return r == null ? Optional.empty() : Optional.of(r.ref());
  }

  /** The registration of {@code name} in this node's replica, with its metadata. */
  public Optional<Registration> registration(String name) {
    return Optional.ofNullable(names.get(requireNonNull(name, "name")));
  }

  /** The names {@code ref} owns. */
  public Set<String> keys(ChildRef ref) {
    return names.keys(requireNonNull(ref, "ref"));
  }

  /** How many names are registered. */
  public int count() {
    return names.count();
  }

  /** The registrations that match {@code filter}. */
  public List<Registration> select(Predicate<Registration> filter) {
    requireNonNull(filter, "filter");
    List<Registration> out = new ArrayList<>();
    for (Registration r : names.all()) {
      if (filter.test(r)) {
        out.add(r);
      }
    }
    return out;
  }

  /** Adds a listener of this node's registry events from now on (core thread; must be quick). */
  public void subscribe(Consumer<RegistryEvent> listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  /** Stops this node's registry: calls fail with {@code STOPPED}; the names stay replicated. */
  @Override
  public void close() {
    closed = true;
    writes.close();
    timer.shutdownNow(); // its retries and polls are dropped: their calls end here instead
    calls.close();
    try {
      cluster.onCore().execute(arbiter::close);
    } catch (RejectedExecutionException clusterClosed) {
      // nothing decides here any more
    }
  }

  private void publish(List<RegistryEvent> events) {
    for (RegistryEvent e : events) {
      if (e instanceof RegistryEvent.ConflictLost lost) {
        log.warn(
            "[{}] registry {}: {} lost the name {} to {} (concurrent registrations)",
            cluster.self().name(),
            name,
            lost.loser().ref(),
            lost.name(),
            lost.winner().ref());
        if (!closed) {
          gone.dropLosing(lost.loser());
        }
      }
      for (Consumer<RegistryEvent> l : listeners) {
        try {
          l.accept(e);
        } catch (RuntimeException x) {
          log.warn("[{}] registry {}: a listener failed on {}", cluster.self().name(), name, e, x);
        }
      }
    }
  }

  /** The endpoint's handler (core thread): the answer completes the origin's batch. */
  @SuppressWarnings("FutureReturnValueIgnored") // the endpoint waits for it and sends its value
  private Object onBatch(io.flock.membership.NodeId from, WriteBatch batch) {
    return callsReady.join().onBatch(batch); // a batch may arrive before the constructor ended
  }

  private RegistryException stopped() {
    return new RegistryException(Reason.STOPPED, "registry " + name + " is closed", null);
  }

  /** Builds a {@link Registry}. */
  public static final class Builder {
    private final String name;
    private final Cluster cluster;
    private boolean quorum;
    private Duration callTimeout = Duration.ofSeconds(5);
    private final List<Consumer<RegistryEvent>> listeners = new ArrayList<>();

    private Builder(String name, Cluster cluster) {
      requireNonNull(name, "name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("name must not be empty");
      }
      this.name = name;
      this.cluster = requireNonNull(cluster, "cluster");
      cluster.settings().requireWireTypes(RegistryWire.MODULE, "Registry.wireTypes()");
    }

    /** Quorum mode: writes need quorum and are acknowledged by a majority (default off: two). */
    public Builder quorum(boolean on) {
      this.quorum = on;
      return this;
    }

    /**
     * How long a write waits for its acknowledgement (default 5 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder callTimeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.callTimeout = timeout;
      return this;
    }

    /**
     * Adds a listener from the start: it hears every change after the registry started (the names
     * already replicated are in {@link Registry#lookup} at once, without events).
     */
    public Builder listener(Consumer<RegistryEvent> listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    /** Starts this node's registry. */
    public Registry start() {
      return new Registry(this).start();
    }
  }
}
