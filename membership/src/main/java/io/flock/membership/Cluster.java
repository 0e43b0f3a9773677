package io.flock.membership;

import static java.util.Objects.requireNonNull;

import io.flock.membership.internal.metrics.MembershipMetrics;
import io.flock.membership.internal.node.ClusterNode;
import io.flock.membership.internal.node.Forwarder;
import io.flock.membership.internal.node.GracefulLeave;
import io.flock.membership.internal.node.ServiceStack;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.transport.NettyTransport;
import io.flock.membership.internal.transport.TlsContexts;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.transport.TransportConfig;
import io.flock.membership.internal.transport.TransportException;
import io.flock.membership.internal.transport.Wire;
import io.flock.membership.internal.wire.WireTypeRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a Flock cluster: membership, failure detection, quorum, the replicated {@link Scope}s
 * and typed {@link Endpoint}s, over an authenticated Netty transport. This class is a facade; the
 * work is done by small internal parts (see {@code docs/architecture.md}).
 *
 * <h2>Threading</h2>
 *
 * One <em>core</em> thread owns all cluster state. Network callbacks hop onto it; public methods
 * post to it and return {@link CompletableFuture}s, which complete on it (use the {@code ...Async}
 * variants for anything but quick work); listeners, scope subscribers and endpoint handlers run on
 * it and must not block. The {@code ...Now} methods must be called on it ({@link #onCore}).
 *
 * <h2>Membership</h2>
 *
 * A node joins by asking its seeds (re-read until it joins); every member writes its own record
 * ({@code JOINING → UP → LEAVING → LEFT}) into the replicated {@code flock.members} scope. Whether
 * a member is reachable or down is this node's own verdict: every {@code heartbeatInterval} each
 * node sends every member a heartbeat, any message counts as proof of life, a member silent for
 * {@code unreachableAfter} is unreachable, and for {@code downAfter} down. A closed connection
 * marks a member unreachable at once (a hint), never down. Defaults: 200 ms, 1 s, 1.8 s.
 *
 * <h2>Quorum</h2>
 *
 * This node has quorum while it reaches (itself included) more than half of the expected members:
 * the explicit member set when one is {@linkplain #setMembers set}, else every member that has not
 * gracefully left, and never fewer than {@code quorumSize}.
 *
 * <h2>Errors</h2>
 *
 * Calls on a closed (or left) node fail at once with {@link ClusterClosedException}, and calls
 * still waiting when it closes fail with it too. Arguments are never null.
 */
public final class Cluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Cluster.class);
  private static final String MEMBERSHIP_LOG = "flock.membership";

  private final ClusterSettings settings;
  private final NodeRuntime runtime;
  private final Transport transport;
  private final ClusterNode node;
  private final WireTypeRegistry types;
  private final MembershipMetrics metrics;
  private volatile boolean closed;
  private final ServiceStack services;

  private Cluster(
      ClusterSettings settings,
      NodeRuntime runtime,
      Transport transport,
      WireTypeRegistry types,
      io.flock.membership.storage.@Nullable StorageLog membershipLog,
      java.util.Set<String> unreadLogs) {
    this.settings = settings;
    this.runtime = runtime;
    this.transport = transport;
    this.services = new ServiceStack(settings.nodeName());
    this.types = types;
    this.node =
        new ClusterNode(
            settings, runtime, transport, types, services::stopWorkAll, membershipLog, unreadLogs);
    this.metrics =
        new MembershipMetrics(
            settings.nodeName(),
            transport,
            node::reachabilityChanges,
            () -> node.router().unknownCount() + node.endpoints().unknownCount(),
            node::clampedTimestamps,
            node::falseDowns);
    runtime.every("metrics refresh", Duration.ofSeconds(1), () -> metrics.refresh(statusNow()));
  }

  /**
   * A builder for a node named {@code nodeName} of cluster {@code clusterName}.
   *
   * @throws IllegalArgumentException if a name is blank or longer than 255 characters
   */
  public static ClusterBuilder builder(String clusterName, String nodeName) {
    return new ClusterBuilder(clusterName, nodeName);
  }

  static Cluster start(ClusterSettings s, byte[] secret, UnaryOperator<Transport> decorate) {
    WireTypeRegistry types = new WireTypeRegistry(s.wireTypes(), Wire::newKryo);
    types.maxValueBytes(s.maxValueBytes());
    TransportConfig tc =
        TransportConfig.defaults(s.clusterName(), secret, types.registrar())
            .withWireTypes(types.registrar(), types.manifest());
    TlsSettings tls = s.tls();
    if (tls != null) {
      tc = TlsContexts.apply(tc, tls);
    }
    Cluster[] self = new Cluster[1];
    NodeRuntime runtime =
        new NodeRuntime(
            s.nodeName(),
            System::nanoTime,
            fatal -> {
              if (self[0] != null) {
                self[0].close();
              }
            });
    Forwarder forwarder = new Forwarder();
    Transport transport;
    try {
      transport =
          decorate.apply(
              NettyTransport.start(
                  s.nodeName(),
                  s.bindHost(),
                  s.bindPort(),
                  s.advertisedHost(),
                  s.incarnation(),
                  tc,
                  forwarder,
                  s.ioThreads()));
    } catch (TransportException e) {
      runtime.close();
      throw new FlockException("node " + s.nodeName() + " cannot start: " + e.getMessage(), e);
    }
    io.flock.membership.storage.StorageLog membershipLog = null;
    java.util.Set<String> unread = java.util.Set.of(); // the durable scopes' logs on its disk
    io.flock.membership.storage.Storage storage = s.storage();
    if (storage != null) {
      try {
        unread = new java.util.HashSet<>(storage.names());
        unread.remove(MEMBERSHIP_LOG);
        membershipLog = storage.open(MEMBERSHIP_LOG);
      } catch (java.io.IOException | RuntimeException e) {
        transport.close();
        runtime.close();
        throw new FlockException(
            "node " + s.nodeName() + " cannot open its storage: " + e.getMessage(), e);
      }
    }
    Cluster c;
    try {
      c = new Cluster(s, runtime, transport, types, membershipLog, unread);
    } catch (RuntimeException e) {
      transport.close();
      runtime.close();
      if (storage != null) {
        try {
          storage.close();
        } catch (java.io.IOException | RuntimeException closing) {
          e.addSuppressed(closing);
        }
      }
      throw e;
    }
    self[0] = c;
    forwarder.attach(c.node);
    c.node.start();
    log.info("[{}] started as {} (cluster {})", s.nodeName(), c.self(), s.clusterName());
    return c;
  }

  /**
   * This node's identity (any thread). It changes only when this node, told that the others
   * declared it down or removed it, rejoins as a new incarnation ({@link
   * ClusterEvent.Reincarnated}).
   */
  public NodeId self() {
    return node.self();
  }

  /**
   * Core thread: whether {@code member} left gracefully after every service on it stopped
   * gracefully (each handed its work over), so what it ran was placed anew elsewhere even where the
   * news has not arrived yet.
   */
  public boolean leftGracefullyNow(NodeId member) {
    runtime.checkCore();
    return node.view().leftGracefully(requireNonNull(member, "member"));
  }

  /** Down verdicts of this node later contradicted by hearing the same incarnation (tests). */
  long falseDowns() {
    return node.falseDowns();
  }

  /**
   * Any thread: the size of {@code value} on this cluster's wire, which checks that it can be sent
   * (in a scope, an endpoint message or a reply) without sending it.
   *
   * @throws IllegalArgumentException naming the type, if it (or a type it holds) is not in the
   *     cluster's {@link WireTypes} or it encodes to more than {@code maxValueBytes}
   */
  public int encodedSize(Object value) {
    return types.check(requireNonNull(value, "value"), "value");
  }

  /** The settings this node runs with. */
  public ClusterSettings settings() {
    return settings;
  }

  /** The core executor: code run here may use the {@code ...Now} methods. Dropped once closed. */
  public Executor onCore() {
    return runtime::execute;
  }

  /** Whether the calling thread is this cluster's core thread. */
  public boolean isCoreThread() {
    return runtime.isCoreThread();
  }

  /**
   * The replicated scope named {@code name}, created on first use. Every node must use the same key
   * and value types for a name, registered in the cluster's {@link WireTypes}.
   *
   * @throws IllegalArgumentException if the name is reserved ({@code flock.*})
   */
  public <K, V> Scope<K, V> scope(String name) {
    checkName(name);
    return node.scopes().scope(name);
  }

  /**
   * The replicated scope named {@code name}, whose concurrent writes of one key are ordered by
   * {@code conflictOrder} over their values first (the greater wins), then by timestamp and
   * replica: a causally later write still always replaces an earlier one. Every node must use the
   * same order (total, consistent with equals) for the name; pass the same instance on each call.
   *
   * @throws IllegalArgumentException if the name is reserved ({@code flock.*})
   * @throws IllegalStateException if the scope exists already with another order
   */
  public <K, V> Scope<K, V> scope(String name, Comparator<? super V> conflictOrder) {
    checkName(name);
    requireNonNull(conflictOrder, "conflictOrder");
    return node.scopes().scope(name, conflictOrder);
  }

  /**
   * {@link #scope(String, Comparator)} kept on this node's disk ({@link ClusterBuilder#storage}):
   * every change is written to the operating system before it is acknowledged, and when the whole
   * cluster restarts each node brings back what its disk holds. On first use this node's log is
   * read and joined into the replica before this returns (the caller waits while it is read). The
   * log carries the causal context, so a node whose disk is stale cannot bring a removed key back.
   * Every node must open the scope the same way; a node without storage cannot. Until a node that
   * holds the scope's log on its disk opened it again, the scope takes no part in replication there
   * (the others neither count it as holding their writes nor as caught up with), so open durable
   * scopes as the node starts; opening the name as a plain scope gives its log up.
   *
   * @param conflictOrder as {@link #scope(String, Comparator)}; null orders by timestamp only
   * @throws IllegalArgumentException if the name is reserved ({@code flock.*})
   * @throws IllegalStateException if this node has no storage, or the scope exists with another
   *     order
   * @throws java.io.UncheckedIOException if its log cannot be opened or read
   */
  public <K, V> Scope<K, V> durableScope(
      String name, @Nullable Comparator<? super V> conflictOrder) {
    checkName(name);
    io.flock.membership.storage.Storage storage = settings.storage();
    if (storage == null) {
      throw new IllegalStateException(
          "scope " + name + " is durable but this node has no storage (ClusterBuilder.storage)");
    }
    return node.scopes().durableScope(name, conflictOrder, storage);
  }

  private static void checkName(String name) {
    requireNonNull(name, "name");
    if (name.startsWith("flock.")) {
      throw new IllegalArgumentException("scope names starting with 'flock.' are reserved");
    }
  }

  /**
   * Registers the endpoint {@code name} with messages of {@code type} and its handler; the same
   * name must be registered on every node that receives its messages.
   *
   * @throws IllegalArgumentException if the name is blank or taken
   */
  public <M> Endpoint<M> endpoint(String name, Class<M> type, EndpointHandler<M> handler) {
    return node.endpoints().register(name, type, handler, null);
  }

  /**
   * As {@link #endpoint(String, Class, EndpointHandler)}, with {@code direct} handling on the
   * network thread what it can without the core (see {@link DirectHandler}).
   *
   * @throws IllegalArgumentException if the name is blank or taken
   */
  public <M> Endpoint<M> endpoint(
      String name, Class<M> type, EndpointHandler<M> handler, DirectHandler<M> direct) {
    return node.endpoints().register(name, type, handler, requireNonNull(direct, "direct"));
  }

  /** The members as this node sees them (itself included). */
  public CompletableFuture<List<Member>> members() {
    return runtime.call(() -> node.view().members());
  }

  /**
   * Adds {@code listener} for this node's events from now on; it runs on the core thread, must not
   * block, and an exception it throws is logged and contained.
   */
  public void subscribe(ClusterListener listener) {
    node.events().subscribe(requireNonNull(listener, "listener"));
  }

  /**
   * Core thread: how many members (itself included) make a majority of the expected membership now;
   * a write held by that many survives the loss of any minority.
   */
  public int majorityNow() {
    runtime.checkCore();
    return node.majority();
  }

  /**
   * Core thread: the size of the expected membership that {@link #majorityNow} is a majority of
   * (the explicit member set when there is one, else the members known and not gone for good).
   */
  public int expectedMembersNow() {
    runtime.checkCore();
    return node.expectedSize();
  }

  /**
   * Something that runs on top of this node (a distributed supervisor) and must stop before it:
   * {@link #leave} first stops every registered service (the last registered first) within its
   * timeout, {@link #close} first closes them.
   */
  public interface Service {
    /** Stops gracefully (hands work over); completes when done. */
    CompletableFuture<Void> stop(Duration timeout);

    /** Stops at once. */
    void close();

    /**
     * This node's incarnation was declared down or removed ({@link ClusterEvent.Reincarnated}
     * follows): stop every piece of work now, whatever the strategy, and complete once it stopped.
     * The node announces its new incarnation only after every service completed this (or after a
     * minute), so the others may treat the old incarnation's work as ended once they see the new
     * one. Called on the core thread; must not block. The default has no work to stop.
     */
    default CompletableFuture<Void> stopWork() {
      return CompletableFuture.completedFuture(null);
    }
  }

  /**
   * Registers {@code service} to be stopped before this node leaves or closes (any thread).
   *
   * @throws ClusterClosedException if this node is closed
   */
  public void register(Service service) {
    requireNonNull(service, "service");
    if (closed) {
      throw new ClusterClosedException(self().name());
    }
    services.add(service);
  }

  /** Forgets a registered service (it stopped by itself). */
  public void unregister(Service service) {
    services.remove(service);
  }

  /**
   * Installs a JVM shutdown hook (SIGTERM, {@code System.exit}) that leaves gracefully within
   * {@code timeout}: the registered services hand their work over first, so a stopped process does
   * not take the crash path.
   */
  public void leaveOnShutdown(Duration timeout) {
    requireNonNull(timeout, "timeout");
    Thread hook =
        new Thread(
            () -> {
              try {
                leave(timeout).get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
              } catch (Exception e) {
                log.warn("[{}] leave on shutdown did not finish: {}", self().name(), e.toString());
                close();
              }
            },
            "flock-shutdown-" + settings.nodeName());
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Whether this node has quorum now. */
  public CompletableFuture<Boolean> hasQuorum() {
    return runtime.call(node::hasQuorum);
  }

  /** Core thread: whether this node has quorum. */
  public boolean hasQuorumNow() {
    runtime.checkCore();
    return node.hasQuorum();
  }

  /**
   * Core thread: the members that may run work, itself too: up, not down, eligible, and not fenced
   * (a member that has held no lease for longer than a lease period says so in its heartbeats).
   */
  public List<NodeId> liveMembersNow() {
    runtime.checkCore();
    return node.liveMembers();
  }

  /**
   * Whether this node holds its lease now: a quorum acknowledged one of its heartbeats within the
   * lease duration (see {@link ClusterBuilder#lease}). Any thread; reads no core state, so a
   * stalled core cannot extend it. A node may run work only while this is true.
   */
  public boolean hasLease() {
    return node.lease().hasLease();
  }

  /**
   * Any thread: how long the lease lasts from now if not renewed ({@link Duration#ZERO} if lapsed).
   */
  public Duration leaseRemaining() {
    return Duration.ofNanos(node.lease().remainingNanos());
  }

  /**
   * Runs {@code fence} the moment this node's lease lapses, on the lease thread (never the core,
   * which may be the thing that is stalled); {@link ClusterEvent.LeaseLost} follows on the core. It
   * must be quick: stop work, do not wait for it.
   */
  public void onLeaseLost(Runnable fence) {
    node.lease().fence(requireNonNull(fence, "fence"));
  }

  /**
   * Core thread: whether {@code member}'s lease must have lapsed: its process ended ({@link
   * #isProcessGoneNow}), it said it holds none, or a quorum of members report they have not
   * acknowledged it for {@link ClusterSettings#lapseAfter}. This node's own silence alone is never
   * enough: it may be the one that is cut off.
   */
  public boolean isLeaseLapsedNow(NodeId member) {
    runtime.checkCore();
    return node.isLeaseLapsed(member);
  }

  /**
   * Core thread: whether {@code member}'s process is known to have ended: it left, was replaced by
   * a newer incarnation, or its address refused connections (nothing listens there); a removal
   * counts only once a newer incarnation of its name appears. Its work cannot be running any more;
   * silence alone never makes this true.
   */
  public boolean isProcessGoneNow(NodeId member) {
    runtime.checkCore();
    return node.view().isProcessGone(member);
  }

  /**
   * Core thread: the processes of the cluster's previous life, when the whole cluster restarted and
   * a node with storage ({@link ClusterBuilder#storage}) brought their names back; empty otherwise.
   * Each of them has ended ({@link #isProcessGoneNow}); what a durable scope holds of theirs is
   * complete only once a majority of them is back and caught up with.
   */
  public java.util.Set<NodeId> formerMembersNow() {
    runtime.checkCore();
    return node.view().formerMembers();
  }

  /**
   * Core thread: whether {@code id} is known to be gone: declared down, left, or replaced by a
   * newer incarnation. A node this node has not heard of yet is <em>not</em> gone.
   */
  public boolean isGoneNow(NodeId id) {
    runtime.checkCore();
    return node.view().isGone(id);
  }

  /**
   * Core thread: whether {@code id} can never act again as this incarnation: its process ended (it
   * left, was replaced by a newer incarnation, its address refused connections), it was removed, or
   * this node declared it down while holding quorum and its lease (quarantined) and a quorum's
   * reports say its lease lapsed. Unlike {@link #isGoneNow}, a down verdict made without quorum
   * does not count (this node may be the one cut off), nor one made over a single cut link (the
   * others still hear it). Use it before removing what a node owns from replicated state: such a
   * removal made on the minority side of a partition would delete the majority's live entries
   * everywhere after the heal.
   */
  public boolean isGoneForGoodNow(NodeId id) {
    runtime.checkCore();
    return node.isGoneForGood(requireNonNull(id, "id"));
  }

  /**
   * Core thread: whether {@code name} may run work under the explicit member set ({@link
   * #setMembers}); true for every name while none is set.
   */
  public boolean isEligibleNow(String name) {
    runtime.checkCore();
    return node.isEligible(requireNonNull(name, "name"));
  }

  /** Completes when this node has quorum; fails with a {@link TimeoutException} after timeout. */
  public CompletableFuture<Void> awaitQuorum(Duration timeout) {
    return runtime.await(timeout, node::hasQuorum, "quorum");
  }

  /**
   * Completes when this node sees at least {@code n} members (itself included) up and reachable;
   * fails with a {@link TimeoutException} after {@code timeout}.
   */
  public CompletableFuture<Void> awaitMembers(int n, Duration timeout) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, was " + n);
    }
    return runtime.await(
        timeout,
        () ->
            node.view().members().stream()
                    .filter(m -> m.status() == MemberStatus.UP && m.reachable())
                    .count()
                >= n,
        n + " members up");
  }

  /**
   * Sets the explicit member set (Horde's {@code set_members}), from any node; it propagates to
   * all. Only these nodes are then members for placement and quorum.
   */
  public CompletableFuture<Void> setMembers(Set<String> names) {
    requireNonNull(names, "names");
    List<String> sorted = names.stream().sorted().toList();
    return runtime.call(
        () -> {
          node.setMembers(sorted);
          return null;
        });
  }

  /**
   * Removes {@code member}'s incarnation from the membership at once (an operator's call, for a
   * node known to be dead; no quorum needed): it no longer counts for quorum, and if it speaks
   * again it is told so, stops its work and rejoins as a new incarnation. Replicated to every node.
   */
  public CompletableFuture<Void> remove(NodeId member) {
    requireNonNull(member, "member");
    return runtime.call(
        () -> {
          node.remove(member);
          return null;
        });
  }

  /** A snapshot of this node's view: members, quorum, and replication state per scope. */
  public CompletableFuture<ClusterStatus> status() {
    return runtime.call(this::statusNow);
  }

  private ClusterStatus statusNow() {
    return new ClusterStatus(
        self(), node.view().members(), node.hasQuorum(), node.scopes().status());
  }

  /**
   * This node's meters (members by status, quorum, reachability changes, transport bytes and
   * frames, connects, refusals, replication lag per scope), tagged {@code node=<name>}; bind it to
   * a registry. Several nodes may share one registry.
   */
  public MeterBinder metrics() {
    return metrics;
  }

  /**
   * Leaves gracefully: announces {@code LEAVING}, waits until every neighbour acknowledged this
   * node's writes, announces {@code LEFT}, flushes again, then closes. Waits at most {@code
   * timeout} for the acknowledgements.
   */
  public CompletableFuture<Void> leave(Duration timeout) {
    requireNonNull(timeout, "timeout");
    if (closed) {
      return CompletableFuture.failedFuture(new ClusterClosedException(self().name()));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    return services
        .stopAll(deadline)
        .thenCompose(
            handedOver ->
                GracefulLeave.start(
                    runtime, node, ServiceStack.remaining(deadline), handedOver, this::close));
  }

  /** Stops at once, without leaving (to the others it looks like a crash). Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    services.closeAll();
    runtime.close();
    node.lease().close();
    node.endpoints().close();
    transport.close();
    io.flock.membership.storage.Storage storage = settings.storage();
    if (storage != null) {
      try {
        storage.close();
      } catch (java.io.IOException | RuntimeException e) {
        log.warn("[{}] closing its storage: {}", self().name(), e.toString());
      }
    }
    log.info("[{}] stopped", self().name());
  }

  /** Bytes this node has written to the wire so far (frames, before TLS). */
  public long bytesSent() {
    return transport.stats().bytesSent();
  }

  /** Whether {@link #close} or {@link #leave} has finished (or a fatal error closed it). */
  public boolean isClosed() {
    return closed;
  }

  // ---- test seams (package-private) ----

  NodeRuntime runtime() {
    return runtime;
  }

  ClusterNode node() {
    return node;
  }
}
