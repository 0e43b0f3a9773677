package io.flock.registry;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.Endpoint;
import io.flock.membership.EndpointException;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.WireTypes;
import io.flock.registry.RegistryException.Reason;
import io.flock.registry.RegistryWire.WriteReply;
import io.flock.registry.RegistryWire.WriteRequest;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.DistributionStrategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
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
  private final boolean quorum;
  private final Duration callTimeout;
  private final java.util.Map<Long, CompletableFuture<Registration>> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong callIds =
      new java.util.concurrent.atomic.AtomicLong();
  private final Scope<String, Registration> scope;
  private final Names names;
  private final List<Consumer<RegistryEvent>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timer;
  private final Endpoint<WriteRequest> writes;
  private volatile boolean closed;

  private Registry(Builder b) {
    this.name = b.name;
    this.cluster = b.cluster;
    this.quorum = b.quorum;
    this.callTimeout = b.callTimeout;
    this.scope = cluster.scope("registry." + name, RegistryWire.ORDER);
    this.names = new Names(cluster::self, cluster::isGoneNow);
    this.listeners.addAll(b.listeners);
    this.writes =
        cluster.endpoint("registry." + name + ".write", WriteRequest.class, this::onWrite);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "flock-registry-" + name + "-" + cluster.self().name());
              t.setDaemon(true);
              return t;
            });
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
              scope.subscribe(changes -> publish(names.onChanges(changes)));
              ready.complete(null);
            });
    ready.join();
    var unused =
        timer.scheduleWithFixedDelay(
            () -> cluster.onCore().execute(this::collectGone), 200, 200, TimeUnit.MILLISECONDS);
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
    return route(new WriteRequest(RegistryWire.REGISTER, name, wanted));
  }

  /**
   * Unregisters {@code name} (whoever owns it).
   *
   * @return fails with {@code NOT_FOUND} if it is not registered, or as {@link #register}
   */
  public CompletableFuture<Registration> unregister(String name) {
    requireNonNull(name, "name");
    return route(new WriteRequest(RegistryWire.UNREGISTER, name, null));
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
    return route(new WriteRequest(RegistryWire.PUT_META, name, new Registration(name, none, meta)));
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

  /** {@code loser} hears, on this node, each of its children that lost a name conflict. */
  @Override
  public void onConflictLost(Consumer<ChildRef> loser) {
    requireNonNull(loser, "loser");
    subscribe(
        e -> {
          if (e instanceof RegistryEvent.ConflictLost lost) {
            loser.accept(lost.loser().ref());
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
    for (CompletableFuture<Registration> call : List.copyOf(inFlight.values())) {
      call.completeExceptionally(stopped());
    }
  }

  // ---- inside ----

  /**
   * Sends {@code request} to the name's arbiter (rendezvous over the live members; this node when
   * it is alone or still joining): every write of one name meets on one core thread, so of two
   * concurrent registrations in a connected cluster exactly one wins. Completes once the arbiter
   * answered and this node's replica shows the write (read-your-writes), or by the deadline.
   */
  private CompletableFuture<Registration> route(WriteRequest request) {
    CompletableFuture<Registration> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(stopped());
      return result;
    }
    long id = callIds.incrementAndGet();
    inFlight.put(id, result);
    var unused = result.whenComplete((r, e) -> inFlight.remove(id));
    long deadline = System.nanoTime() + callTimeout.toNanos();
    try {
      cluster.onCore().execute(() -> send(request, deadline, result));
    } catch (RejectedExecutionException closing) {
      result.completeExceptionally(stopped());
    }
    if (closed) {
      result.completeExceptionally(stopped()); // closed meanwhile: close() may have missed it
    }
    return result;
  }

  /** Core: sends {@code request} to the name's arbiter as the members are now. */
  private void send(WriteRequest request, long deadline, CompletableFuture<Registration> result) {
    Optional<NodeId> arbiter =
        DistributionStrategy.Rendezvous.best(request.name(), cluster.liveMembersNow());
    CompletableFuture<WriteReply> reply =
        arbiter.isEmpty() || arbiter.get().equals(cluster.self())
            ? decide(request, deadline)
            : writes.request(
                arbiter.get(),
                request,
                WriteReply.class,
                Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
    var unused =
        reply.whenComplete(
            (r, e) -> cluster.onCore().execute(() -> answered(request, r, e, deadline, result)));
  }

  private void answered(
      WriteRequest request,
      @Nullable WriteReply reply,
      @Nullable Throwable error,
      long deadline,
      CompletableFuture<Registration> result) {
    if (error != null || reply == null) {
      Throwable cause =
          error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
      EndpointException.Outcome outcome =
          cause instanceof EndpointException ee ? ee.outcome() : EndpointException.Outcome.FAILED;
      boolean closedHere = outcome == EndpointException.Outcome.CLOSED;
      if (request.op() != RegistryWire.UNREGISTER // the others are idempotent: ask again
          && outcome != EndpointException.Outcome.TIMED_OUT
          && !closedHere
          && !closed
          && System.nanoTime() - deadline < 0) {
        try {
          var unused =
              timer.schedule(
                  () -> cluster.onCore().execute(() -> send(request, deadline, result)),
                  20,
                  TimeUnit.MILLISECONDS);
          return; // the arbiter went away (or was not there yet): the next one decides
        } catch (RejectedExecutionException stopping) {
          // closed meanwhile: fall through
        }
      }
      result.completeExceptionally(
          closedHere
              ? stopped()
              : new RegistryException(
                  Reason.TIMEOUT,
                  "no answer from the arbiter of "
                      + request.name()
                      + ": it may have happened ("
                      + cause
                      + ")",
                  null));
      return;
    }
    String reason = reply.reason();
    Registration done = reply.registration();
    if (reason != null || done == null) {
      result.completeExceptionally(
          new RegistryException(
              reason == null ? Reason.TIMEOUT : Reason.valueOf(reason),
              reply.message(),
              reply.registration()));
      return;
    }
    awaitLocal(request.op() == RegistryWire.UNREGISTER, done, deadline, result);
  }

  /** Core: completes once this node's replica shows {@code done} (or no longer does, if gone). */
  private void awaitLocal(
      boolean gone, Registration done, long deadline, CompletableFuture<Registration> result) {
    Registration here = names.get(done.name());
    boolean shown = gone ? !done.equals(here) : done.equals(here);
    if (shown || System.nanoTime() - deadline > 0 || closed) {
      result.complete(done); // the arbiter's answer stands; only this replica may lag
      return;
    }
    try {
      var unused =
          timer.schedule(
              () -> cluster.onCore().execute(() -> awaitLocal(gone, done, deadline, result)),
              1,
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      result.complete(done);
    }
  }

  /** Core, on the arbiter: decides one write, then waits until enough members hold it. */
  private CompletableFuture<WriteReply> decide(WriteRequest request, long deadline) {
    CompletableFuture<Registration> held = new CompletableFuture<>();
    try {
      if (closed) {
        throw stopped();
      }
      if (quorum && !cluster.hasQuorumNow()) {
        throw new RegistryException(
            Reason.NO_QUORUM, cluster.self().name() + " has no quorum", null);
      }
      String n = request.name();
      Registration existing = scope.getNow(n);
      Registration wanted = request.wanted();
      Registration done;
      if (request.op() == RegistryWire.REGISTER && wanted != null) {
        if (existing != null && !existing.ref().id().equals(wanted.ref().id())) {
          throw new RegistryException(
              Reason.ALREADY_REGISTERED, n + " belongs to " + existing.ref(), existing);
        }
        done = wanted;
        var unused = scope.putNow(n, done);
      } else if (existing == null) {
        throw new RegistryException(Reason.NOT_FOUND, "no name " + n, null);
      } else if (request.op() == RegistryWire.PUT_META && wanted != null) {
        done = new Registration(n, existing.ref(), wanted.meta());
        var unused = scope.putNow(n, done);
      } else {
        done = existing;
        var unused = scope.removeNow(n);
      }
      awaitHeld(scope.writeMarkNow(), deadline, done, held);
    } catch (RegistryException e) {
      held.completeExceptionally(e);
    }
    return held.handle(
        (r, e) -> {
          if (e == null) {
            return new WriteReply(null, "", r);
          }
          Throwable cause =
              e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
          return cause instanceof RegistryException re
              ? new WriteReply(re.reason().name(), String.valueOf(re.getMessage()), re.owner())
              : new WriteReply(Reason.TIMEOUT.name(), String.valueOf(cause), null);
        });
  }

  /** A write waiting for its acknowledgement (core thread). */
  private record Pending(
      long mark, long deadline, Registration value, CompletableFuture<Registration> result) {}

  private final java.util.ArrayDeque<Pending> pending = new java.util.ArrayDeque<>();
  private boolean polling; // core thread

  /**
   * Core: completes the write of {@code mark} once enough members hold it. Marks only grow, so the
   * waiting writes are in mark order and one poll every 2 ms serves all of them.
   */
  private void awaitHeld(
      long mark, long deadline, Registration value, CompletableFuture<Registration> result) {
    pending.addLast(new Pending(mark, deadline, value, result));
    poll();
  }

  private void poll() {
    int live = cluster.liveMembersNow().size();
    int needed = quorum ? cluster.majorityNow() : Math.min(2, Math.max(1, live));
    long now = System.nanoTime();
    for (java.util.Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (scope.holdersNow(p.mark()) >= needed) {
        it.remove();
        p.result().complete(p.value());
      } else if (now - p.deadline() > 0) {
        it.remove();
        p.result()
            .completeExceptionally(
                new RegistryException(
                    Reason.TIMEOUT,
                    "not acknowledged by "
                        + needed
                        + " members within "
                        + callTimeout
                        + ": it may have happened",
                    null));
      } else {
        break; // later marks are not held either (and their deadlines are later)
      }
    }
    if (pending.isEmpty() || polling) {
      return;
    }
    polling = true;
    try {
      var unused =
          timer.schedule(
              () ->
                  cluster
                      .onCore()
                      .execute(
                          () -> {
                            polling = false;
                            poll();
                          }),
              2,
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      polling = false;
      for (Pending p : pending) {
        p.result().completeExceptionally(stopped());
      }
      pending.clear();
    }
  }

  /** Core: removes the names of nodes known gone; one live member (by rendezvous) per name. */
  private void collectGone() {
    if (closed) {
      return;
    }
    List<NodeId> live = cluster.liveMembersNow();
    int removed = 0;
    for (NodeId node : names.nodes()) {
      if (!cluster.isGoneNow(node)) {
        continue;
      }
      for (String n : names.onNode(node)) {
        Optional<NodeId> cleaner = DistributionStrategy.Rendezvous.best(n, live);
        Registration r = scope.getNow(n);
        if (cleaner.isPresent()
            && cleaner.get().equals(cluster.self())
            && r != null
            && r.ref().node().equals(node)) {
          // Only the gone node's entries: a live child's concurrent registration of the name,
          // hidden behind it by the order, stays and takes the name (a plain remove took both).
          var unused = scope.removeIfNow(n, reg -> cluster.isGoneNow(reg.ref().node()));
          removed++;
        }
      }
    }
    if (removed > 0) {
      log.info(
          "[{}] registry {}: removed {} names of nodes gone", cluster.self().name(), name, removed);
    }
  }

  /**
   * Core: removes this node's losing entry of a name (hidden under the winner): otherwise it would
   * surface again once the winner goes, for a child that was told it lost (and was stopped), and be
   * told so a second time. After the current task: the change that hid it is still being applied.
   */
  private void dropLosing(Registration loser) {
    try {
      cluster
          .onCore()
          .execute(
              () -> {
                if (!closed) {
                  var unused = scope.removeIfNow(loser.name(), r -> r.ref().equals(loser.ref()));
                }
              });
    } catch (RejectedExecutionException closing) {
      // the node closed: nothing to tidy
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
        dropLosing(lost.loser());
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

  /** The endpoint's handler (core thread): the answer completes the origin's request. */
  @SuppressWarnings("FutureReturnValueIgnored") // the endpoint waits for it and sends its value
  private Object onWrite(NodeId from, WriteRequest request) {
    return decide(request, deadline());
  }

  private long deadline() {
    return System.nanoTime() + callTimeout.toNanos();
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
