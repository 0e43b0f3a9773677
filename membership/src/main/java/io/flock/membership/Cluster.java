package io.flock.membership;

import static java.util.Objects.requireNonNull;

import com.esotericsoftware.kryo.Kryo;
import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Change;
import io.flock.crdt.Delta;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.ReplicationMessage;
import io.flock.crdt.Replicator;
import io.flock.membership.ClusterMessages.Heartbeat;
import io.flock.membership.ClusterMessages.JoinAccepted;
import io.flock.membership.ClusterMessages.JoinRequest;
import io.flock.membership.ClusterMessages.MemberRecord;
import io.flock.membership.ClusterMessages.MemberSet;
import io.flock.membership.ClusterMessages.Scoped;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a Flock cluster: the transport, the member list, failure detection, and the gossip
 * loop that keeps every {@link Scope} replicated.
 *
 * <h2>Threading</h2>
 *
 * One <em>core</em> thread owns all cluster state: the member view, the failure detector and every
 * scope's replica and replicator. Network callbacks hop onto it; public methods post to it and
 * return {@link CompletableFuture}s; listeners and scope subscribers run on it. Nothing blocks it.
 *
 * <h2>Membership</h2>
 *
 * A node joins by asking its seeds (a static list or a DNS name, re-read until it joins); every
 * member writes its own record ({@code JOINING → UP → LEAVING → LEFT}) into the replicated {@code
 * flock.members} scope. Whether a member is reachable or down is this node's own verdict: every
 * {@code heartbeatInterval} each node sends every member a heartbeat, any message counts as proof
 * of life, a member silent for {@code unreachableAfter} is unreachable, and for {@code downAfter}
 * down. A closed connection marks a member unreachable at once (a hint), never down. Defaults:
 * heartbeats every 200 ms, unreachable after 1 s, down after 1.8 s, so a crashed node is down
 * within about 2 s while a 1 s pause is not.
 *
 * <h2>Quorum</h2>
 *
 * This node has quorum while it reaches (itself included) more than half of the expected members:
 * the explicit member set when one is {@linkplain #setMembers set}, else every member that has not
 * gracefully left (so a crashed node still counts, unlike Horde's upstream issue #45), and never
 * fewer than {@code quorumSize}.
 */
public final class Cluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Cluster.class);

  static final String MEMBERS = "flock.members";
  static final String CONFIG = "flock.config";
  private static final String MEMBER_SET_KEY = "members";

  private final Builder settings;
  private final java.util.concurrent.ScheduledThreadPoolExecutor core;
  private final Thread coreThread;
  private final Transport transport;
  private final NodeId self;
  private final Hlc clock = new Hlc(System::currentTimeMillis);
  private final Map<String, ScopeImpl<?, ?>> scopes = new ConcurrentHashMap<>();
  private final ScopeImpl<String, MemberRecord> members;
  private final ScopeImpl<String, MemberSet> config;
  private final Map<String, Peer> peers = new TreeMap<>();
  private final Set<String> retiredNames = new HashSet<>();
  private final List<ClusterListener> listeners;
  private boolean joined;
  private boolean quorum;
  private boolean flushScheduled;
  private long flushDeferredSince;
  private long lastTick; // core thread: when the heartbeat tick last ran
  private MemberStatus ownStatus = MemberStatus.JOINING;
  private volatile boolean closed;

  /** What this node knows of another member. Core thread only. */
  private static final class Peer {
    NodeId id;
    MemberStatus recordStatus = MemberStatus.JOINING;
    long lastHeard;
    boolean reachable = true;
    boolean down;
    boolean announcedUp;

    Peer(NodeId id, long now) {
      this.id = id;
      this.lastHeard = now;
    }
  }

  private Cluster(Builder b) {
    this.settings = b;
    this.listeners = List.copyOf(b.listeners);
    Thread[] holder = new Thread[1];
    this.core =
        new java.util.concurrent.ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "flock-core-" + b.nodeName);
              t.setDaemon(true);
              holder[0] = t;
              return t;
            });
    core.setRemoveOnCancelPolicy(true);
    try {
      core.submit(() -> {}).get();
    } catch (Exception e) {
      throw new IllegalStateException("core thread failed to start", e);
    }
    this.coreThread = requireNonNull(holder[0]);
    Consumer<Kryo> registrar =
        kryo -> {
          ClusterMessages.register(kryo);
          b.registrar.accept(kryo);
        };
    TransportConfig tc =
        TransportConfig.defaults(b.clusterName, b.secret, registrar)
            .withTls(b.serverSsl, b.clientSsl);
    try {
      this.transport =
          Transport.start(
              b.nodeName,
              b.bindHost,
              b.bindPort,
              b.advertisedHost,
              b.incarnation,
              tc,
              new TransportListener(),
              b.ioThreads);
    } catch (RuntimeException e) {
      core.shutdownNow();
      throw e;
    }
    this.self = transport.self();
    this.members = new ScopeImpl<>(MEMBERS);
    this.config = new ScopeImpl<>(CONFIG);
    scopes.put(MEMBERS, members);
    scopes.put(CONFIG, config);
    members.subscribe(this::onMemberChanges);
    config.subscribe(changes -> updateQuorum());
  }

  /**
   * A builder for a node named {@code nodeName} of cluster {@code clusterName}.
   *
   * @throws IllegalArgumentException if a name is empty
   */
  public static Builder builder(String clusterName, String nodeName) {
    return new Builder(clusterName, nodeName);
  }

  private Cluster start() {
    runOnCore(
        () -> {
          writeOwnRecord(MemberStatus.JOINING);
          updateQuorum();
          joinAttempt();
        });
    long gossip = settings.gossipInterval.toNanos();
    ScheduledFuture<?> unusedGossip =
        core.scheduleWithFixedDelay(this::gossipTick, gossip, gossip, TimeUnit.NANOSECONDS);
    long beat = settings.heartbeatInterval.toNanos();
    ScheduledFuture<?> unusedBeat =
        core.scheduleWithFixedDelay(this::heartbeatTick, beat, beat, TimeUnit.NANOSECONDS);
    long join = settings.joinRetry.toNanos();
    ScheduledFuture<?> unusedJoin =
        core.scheduleWithFixedDelay(
            () -> {
              if (!joined) {
                joinAttempt();
              }
            },
            join,
            join,
            TimeUnit.NANOSECONDS);
    log.info("[{}] started as {} (cluster {})", self.name(), self, settings.clusterName);
    return this;
  }

  /** This node's identity. */
  public NodeId self() {
    return self;
  }

  /** The core executor: code run here may use the {@code ...Now} methods of scopes. */
  public Executor onCore() {
    return this::runOnCore;
  }

  /** Whether the calling thread is this cluster's core thread. */
  public boolean isCoreThread() {
    return Thread.currentThread() == coreThread;
  }

  /**
   * The replicated scope named {@code name}, created on first use. Every node must use the same key
   * and value types for a name, registered with Kryo.
   *
   * @throws IllegalArgumentException if the name is reserved ({@code flock.*})
   */
  @SuppressWarnings("unchecked")
  public <K, V> Scope<K, V> scope(String name) {
    requireNonNull(name, "name");
    if (name.startsWith("flock.")) {
      throw new IllegalArgumentException("scope names starting with 'flock.' are reserved");
    }
    return (Scope<K, V>) scopes.computeIfAbsent(name, n -> newScope(n));
  }

  private ScopeImpl<?, ?> newScope(String name) {
    ScopeImpl<Object, Object> scope = new ScopeImpl<>(name);
    runOnCore(() -> configure(scope));
    return scope;
  }

  /** The members as this node sees them (itself included). */
  public CompletableFuture<List<Member>> members() {
    return call(this::memberView);
  }

  /** Whether this node has quorum now. */
  public CompletableFuture<Boolean> hasQuorum() {
    return call(() -> quorum);
  }

  /** Core thread: whether this node has quorum. */
  public boolean hasQuorumNow() {
    checkCore();
    return quorum;
  }

  /** Core thread: the members this node considers alive (up, reachable, not down), itself too. */
  public List<NodeId> liveMembersNow() {
    checkCore();
    List<NodeId> live = new ArrayList<>();
    if (ownStatus == MemberStatus.UP && isEligible(self.name())) {
      live.add(self);
    }
    for (Peer p : peers.values()) {
      if (p.recordStatus == MemberStatus.UP && !p.down && isEligible(p.id.name())) {
        live.add(p.id);
      }
    }
    return live;
  }

  /**
   * Core thread: whether {@code id} is known to be gone: declared down, left, or replaced by a
   * newer incarnation. A node this node has not heard of yet is <em>not</em> gone: a fresh node's
   * view is incomplete, and treating strangers as dead would steal their work.
   */
  public boolean isGoneNow(NodeId id) {
    checkCore();
    if (id.name().equals(self.name())) {
      return id.incarnation() < self.incarnation();
    }
    if (retiredNames.contains(id.name() + "#" + id.incarnation())) {
      return true;
    }
    Peer p = peers.get(id.name());
    if (p == null || p.id.incarnation() < id.incarnation()) {
      return false;
    }
    if (p.id.incarnation() > id.incarnation()) {
      return true;
    }
    return p.down || p.recordStatus == MemberStatus.LEFT;
  }

  private boolean isEligible(String name) {
    MemberSet set = config.map.get(MEMBER_SET_KEY);
    return set == null || set.names().contains(name);
  }

  /** Completes when this node has quorum, or fails with a timeout. */
  public CompletableFuture<Void> awaitQuorum(Duration timeout) {
    requireNonNull(timeout, "timeout");
    CompletableFuture<Void> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    Runnable[] check = new Runnable[1];
    check[0] =
        () -> {
          if (quorum) {
            done.complete(null);
          } else if (System.nanoTime() > deadline) {
            done.completeExceptionally(
                new java.util.concurrent.TimeoutException("no quorum within " + timeout));
          } else {
            schedule(check[0], Duration.ofMillis(20));
          }
        };
    runOnCore(check[0]);
    return done;
  }

  /**
   * Sets the explicit member set (Horde's {@code set_members}), from any node; it propagates to
   * all. Only these nodes are then members for placement and quorum.
   */
  public CompletableFuture<Void> setMembers(Set<String> names) {
    requireNonNull(names, "names");
    List<String> sorted = names.stream().sorted().toList();
    return call(
        () -> {
          config.putNow(MEMBER_SET_KEY, new MemberSet(sorted));
          return null;
        });
  }

  /** A snapshot of this node's view: members, quorum, and replication state per scope. */
  public CompletableFuture<ClusterStatus> status() {
    return call(
        () -> {
          Map<String, Map<ReplicaId, String>> replication = new TreeMap<>();
          for (ScopeImpl<?, ?> s : scopes.values()) {
            replication.put(s.name, s.replicator.describeNeighbours());
          }
          return new ClusterStatus(self, memberView(), quorum, replication);
        });
  }

  /**
   * Leaves gracefully: announces {@code LEAVING}, waits until every neighbour acknowledged this
   * node's writes, announces {@code LEFT}, flushes again, then closes. Waits at most {@code
   * timeout} for the acknowledgements.
   */
  public CompletableFuture<Void> leave(Duration timeout) {
    requireNonNull(timeout, "timeout");
    CompletableFuture<Void> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    runOnCore(
        () -> {
          writeOwnRecord(MemberStatus.LEAVING);
          whenFlushed(
              deadline,
              () -> {
                writeOwnRecord(MemberStatus.LEFT);
                whenFlushed(
                    deadline,
                    () -> {
                      done.complete(null);
                      Thread closer = new Thread(this::close, "flock-leave-" + self.name());
                      closer.setDaemon(true);
                      closer.start();
                    });
              });
        });
    return done;
  }

  private void whenFlushed(long deadline, Runnable then) {
    flushAll();
    boolean acknowledged = true;
    for (ScopeImpl<?, ?> s : scopes.values()) {
      for (ReplicaId n : s.replicator.neighbours()) {
        acknowledged &= s.replicator.lag(n) == 0;
      }
    }
    if (acknowledged || System.nanoTime() > deadline) {
      then.run();
    } else {
      schedule(() -> whenFlushed(deadline, then), Duration.ofMillis(10));
    }
  }

  /** Stops at once, without leaving (to the others it looks like a crash). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    core.shutdownNow();
    try {
      core.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    transport.close();
    log.info("[{}] stopped", self.name());
  }

  /** Bytes this node has written to the wire so far (frames, before TLS). */
  public long bytesSent() {
    return transport.bytesSent();
  }

  /** Whether {@link #close} or {@link #leave} has finished. */
  public boolean isClosed() {
    return closed;
  }

  // ---- test seams (package-private) ----

  Transport transport() {
    return transport;
  }

  /** Blocks the core thread for {@code d}, as a stop-the-world pause would. */
  void pauseCore(Duration d) {
    runOnCore(
        () -> {
          try {
            Thread.sleep(d.toMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }

  // ---- core-thread machinery ----

  private void runOnCore(Runnable task) {
    if (closed) {
      return;
    }
    try {
      core.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              log.error("[{}] core task failed", self.name(), e);
            }
          });
    } catch (RejectedExecutionException stopped) {
      // closing
    }
  }

  private void schedule(Runnable task, Duration delay) {
    if (closed) {
      return;
    }
    try {
      ScheduledFuture<?> unused = core.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException stopped) {
      // closing
    }
  }

  private <T extends @Nullable Object> CompletableFuture<T> call(Callable<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("cluster node is closed"));
      return result;
    }
    try {
      core.execute(
          () -> {
            try {
              result.complete(task.call());
            } catch (Throwable t) {
              result.completeExceptionally(t);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("cluster node is closed"));
    }
    return result;
  }

  private void checkCore() {
    if (Thread.currentThread() != coreThread) {
      throw new IllegalStateException(
          "must run on the cluster's core thread (use Cluster.onCore()), not "
              + Thread.currentThread().getName());
    }
  }

  private void emit(ClusterEvent event) {
    log.info("[{}] {}", self.name(), event);
    for (ClusterListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("[{}] cluster listener failed on {}", self.name(), event, e);
      }
    }
  }

  private List<Member> memberView() {
    List<Member> out = new ArrayList<>();
    out.add(new Member(self, ownStatus, true));
    for (Peer p : peers.values()) {
      MemberStatus shown =
          p.down && p.recordStatus != MemberStatus.LEFT ? MemberStatus.DOWN : p.recordStatus;
      out.add(new Member(p.id, shown, p.reachable && !p.down));
    }
    return out;
  }

  private void writeOwnRecord(MemberStatus status) {
    ownStatus = status;
    members.putNow(self.name(), new MemberRecord(self, status));
  }

  private void joinAttempt() {
    List<InetSocketAddress> seeds;
    try {
      seeds = settings.seeds.resolve();
    } catch (Exception e) {
      log.warn("[{}] cannot resolve seeds: {}", self.name(), e.toString());
      return;
    }
    boolean asked = false;
    for (InetSocketAddress seed : seeds) {
      if (seed.getPort() == self.port() && isSelfHost(seed.getHostString())) {
        continue;
      }
      asked = true;
      transport.send(Transport.seed(seed.getHostString(), seed.getPort()), new JoinRequest(self));
    }
    if (!asked) {
      becomeUp(); // first node, or alone: a cluster of one
    }
  }

  private boolean isSelfHost(String host) {
    return host.equals(self.host())
        || host.equals(settings.bindHost)
        || (host.equals("localhost") && self.host().equals("127.0.0.1"));
  }

  private void becomeUp() {
    joined = true;
    if (ownStatus == MemberStatus.JOINING) {
      writeOwnRecord(MemberStatus.UP);
      emit(new ClusterEvent.MemberUp(self));
    }
  }

  private void gossipTick() {
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.tick();
    }
  }

  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      runOnCore(this::flushAll); // after the current task: writes made in one task coalesce
    }
  }

  /**
   * Sends what the scopes wrote. While more core work is ready (a burst of writes), the flush waits
   * behind it, for at most 2 ms, so the burst leaves as a few intervals rather than one per write;
   * when the core is idle it goes at once.
   */
  private void flushAll() {
    long now = System.nanoTime();
    if (flushDeferredSince == 0) {
      flushDeferredSince = now;
    }
    if (hasReadyWork() && now - flushDeferredSince < 2_000_000L) {
      try {
        core.execute(this::flushAll);
        return;
      } catch (RejectedExecutionException closing) {
        return;
      }
    }
    flushDeferredSince = 0;
    flushScheduled = false;
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.flush();
    }
  }

  /** Whether a task is ready to run on the core after the current one. */
  private boolean hasReadyWork() {
    Runnable next = core.getQueue().peek();
    return next instanceof java.util.concurrent.Delayed d && d.getDelay(TimeUnit.NANOSECONDS) <= 0;
  }

  private void heartbeatTick() {
    long now = System.nanoTime();
    long interval = settings.heartbeatInterval.toNanos();
    if (lastTick != 0 && now - lastTick > 2 * interval) {
      // Lifeguard-style local health: this node itself was stalled (GC, CPU starvation, a pause)
      // and could not have heard anyone meanwhile. Blame nobody for our own silence: shift every
      // peer's last-heard time forward by the stall.
      long stall = now - lastTick - interval;
      for (Peer p : peers.values()) {
        p.lastHeard += stall;
      }
    }
    lastTick = now;
    boolean changed = false;
    for (Peer p : peers.values()) {
      if (p.recordStatus == MemberStatus.LEFT) {
        continue;
      }
      transport.send(p.id, new Heartbeat());
      long silence = now - p.lastHeard;
      if (p.reachable && silence > settings.unreachableAfter.toNanos()) {
        p.reachable = false;
        emit(new ClusterEvent.Unreachable(p.id));
      }
      if (!p.down && silence > settings.downAfter.toNanos()) {
        p.down = true;
        changed = true;
        // After a silent cut the old connection may be half-open for minutes: drop it so the next
        // heartbeat dials afresh (and re-resolves the name) instead of writing into a dead socket.
        transport.disconnect(p.id);
        emit(new ClusterEvent.MemberDown(p.id));
      }
    }
    if (changed) {
      updateNeighbours();
    }
    updateQuorum();
  }

  /** Records life from {@code from}; false if it is an older incarnation (drop its message). */
  private boolean heard(NodeId from) {
    if (from.name().equals(Transport.ANY) || from.name().equals(self.name())) {
      return true;
    }
    Peer p = peers.get(from.name());
    if (p == null || from.incarnation() > p.id.incarnation()) {
      if (retiredNames.contains(from.name() + "#" + from.incarnation())) {
        return false;
      }
      p = addOrReplacePeer(from);
    } else if (from.incarnation() < p.id.incarnation()) {
      return false;
    }
    p.lastHeard = System.nanoTime();
    if (!p.reachable) {
      p.reachable = true;
      emit(new ClusterEvent.Reachable(p.id));
    }
    if (p.down) {
      p.down = false;
      if (p.recordStatus == MemberStatus.UP) {
        emit(new ClusterEvent.MemberUp(p.id));
      }
      updateNeighbours();
      updateQuorum();
    }
    return true;
  }

  private Peer addOrReplacePeer(NodeId id) {
    Peer old = peers.get(id.name());
    Peer p = new Peer(id, System.nanoTime());
    peers.put(id.name(), p);
    if (old != null) {
      log.info("[{}] {} restarted as incarnation {}", self.name(), old.id, id.incarnation());
      retireIncarnationsBelow(id.name(), id.incarnation());
    }
    updateNeighbours();
    return p;
  }

  private void retireIncarnationsBelow(String name, long incarnation) {
    retiredNames.add(name + "#" + (incarnation - 1)); // for LEFT: exactly the one that left
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.replicator.retire(name, incarnation);
    }
  }

  private void onMemberChanges(List<Change<String, MemberRecord>> changes) {
    for (Change<String, MemberRecord> c : changes) {
      MemberRecord rec =
          switch (c) {
            case Change.Added<String, MemberRecord> a -> a.newValue();
            case Change.Updated<String, MemberRecord> u -> u.newValue();
            case Change.Removed<String, MemberRecord> r -> null;
          };
      if (rec == null) {
        continue;
      }
      if (rec.id().name().equals(self.name())) {
        if (!rec.id().equals(self) && rec.id().incarnation() <= self.incarnation()) {
          writeOwnRecord(ownStatus); // a record of an earlier life: ours replaces it
        }
        continue;
      }
      Peer p = peers.get(rec.id().name());
      if (p == null || rec.id().incarnation() > p.id.incarnation()) {
        p = addOrReplacePeer(rec.id());
      } else if (rec.id().incarnation() < p.id.incarnation()) {
        continue;
      }
      MemberStatus before = p.recordStatus;
      p.recordStatus = rec.status();
      if (rec.status() == MemberStatus.UP && !p.announcedUp) {
        p.announcedUp = true;
        emit(new ClusterEvent.MemberUp(p.id));
      }
      if (rec.status() == MemberStatus.LEFT && before != MemberStatus.LEFT) {
        emit(new ClusterEvent.MemberLeft(p.id));
        retireIncarnationsBelow(p.id.name(), p.id.incarnation() + 1);
        peers.remove(p.id.name());
        transport.disconnect(p.id);
      }
    }
    updateNeighbours();
    updateQuorum();
  }

  private List<ReplicaId> neighbourIds() {
    List<ReplicaId> neighbours = new ArrayList<>();
    for (Peer p : peers.values()) {
      if (!p.down && p.recordStatus != MemberStatus.LEFT) {
        neighbours.add(p.id.replicaId());
      }
    }
    return neighbours;
  }

  private void updateNeighbours() {
    List<ReplicaId> neighbours = neighbourIds();
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.replicator.setNeighbours(neighbours);
    }
  }

  /** Brings a scope created after start up to date (it may not be registered yet). */
  private void configure(ScopeImpl<?, ?> scope) {
    for (String retired : retiredNames) {
      int hash = retired.lastIndexOf('#');
      scope.replicator.retire(
          retired.substring(0, hash), Long.parseLong(retired.substring(hash + 1)) + 1);
    }
    scope.replicator.setNeighbours(neighbourIds());
  }

  private void updateQuorum() {
    Set<String> expected = new HashSet<>();
    MemberSet set = config.map.get(MEMBER_SET_KEY);
    if (set != null) {
      expected.addAll(set.names());
    } else {
      expected.add(self.name());
      for (Peer p : peers.values()) {
        if (p.recordStatus != MemberStatus.LEFT) {
          expected.add(p.id.name());
        }
      }
    }
    int reachable = expected.contains(self.name()) ? 1 : 0;
    for (Peer p : peers.values()) {
      if (expected.contains(p.id.name()) && p.reachable && !p.down) {
        reachable++;
      }
    }
    int size = Math.max(expected.size(), settings.quorumSize);
    boolean now = reachable * 2 > size;
    if (now != quorum) {
      quorum = now;
      emit(
          now
              ? new ClusterEvent.QuorumGained(reachable, size)
              : new ClusterEvent.QuorumLost(reachable, size));
    }
  }

  private void onMessage(NodeId from, Object body) {
    if (!heard(from)) {
      return;
    }
    switch (body) {
      case Scoped scoped -> {
        ScopeImpl<?, ?> scope = scopes.get(scoped.scope());
        if (scope == null) {
          // A scope exists cluster-wide once any node uses it: holding (and acknowledging) it
          // here keeps the others from re-sending to us forever, and lets us catch up later.
          scope = scopes.computeIfAbsent(scoped.scope(), ScopeImpl::new);
          configure(scope);
        }
        scope.receive(from, scoped.message());
      }
      case Heartbeat h -> {}
      case JoinRequest join -> {
        if (!join.joiner().name().equals(self.name())) {
          heard(join.joiner());
          List<NodeId> known = new ArrayList<>();
          known.add(self);
          for (Peer p : peers.values()) {
            if (p.recordStatus != MemberStatus.LEFT) {
              known.add(p.id);
            }
          }
          transport.send(join.joiner(), new JoinAccepted(known.toArray(new NodeId[0])));
        }
      }
      case JoinAccepted accepted -> {
        for (NodeId m : accepted.members()) {
          if (!m.name().equals(self.name())) {
            Peer p = peers.get(m.name());
            if (p == null || m.incarnation() > p.id.incarnation()) {
              addOrReplacePeer(m);
            }
          }
        }
        becomeUp();
      }
      default ->
          log.warn(
              "[{}] unexpected {} from {}", self.name(), body.getClass().getSimpleName(), from);
    }
  }

  private final class TransportListener implements Transport.Listener {
    @Override
    public void onMessage(NodeId from, Object body) {
      runOnCore(() -> Cluster.this.onMessage(from, body));
    }

    @Override
    public void onConnectionLost(NodeId peer) {
      runOnCore(
          () -> {
            Peer p = peers.get(peer.name());
            if (p != null && p.id.equals(peer) && p.reachable) {
              p.reachable = false; // a hint: down still needs downAfter of silence
              emit(new ClusterEvent.Unreachable(p.id));
              updateQuorum();
            }
          });
    }
  }

  /** One replicated scope. Its replica and replicator belong to the core thread. */
  private final class ScopeImpl<K, V> implements Scope<K, V> {
    final String name;
    final AWLWWMap<K, V> map;
    final Replicator<K, V> replicator;
    final List<Consumer<List<Change<K, V>>>> subscribers =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    ScopeImpl(String name) {
      this.name = name;
      this.map = new AWLWWMap<>(self.replicaId(), clock);
      this.replicator = new Replicator<>(map, settings.replication);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public CompletableFuture<Void> put(K key, V value) {
      requireNonNull(key, "key");
      requireNonNull(value, "value");
      return call(
          () -> {
            putNow(key, value);
            return null;
          });
    }

    @Override
    public CompletableFuture<Void> remove(K key) {
      requireNonNull(key, "key");
      return call(
          () -> {
            removeNow(key);
            return null;
          });
    }

    @Override
    public CompletableFuture<@Nullable V> get(K key) {
      requireNonNull(key, "key");
      return Cluster.this.<@Nullable V>call(() -> map.get(key));
    }

    @Override
    public CompletableFuture<Map<K, V>> snapshot() {
      return call(map::snapshot);
    }

    @Override
    public List<Change<K, V>> putNow(K key, V value) {
      checkCore();
      V old = map.get(key);
      Delta<K, V> delta = map.put(key, value);
      replicator.recordLocal(delta);
      scheduleFlush();
      List<Change<K, V>> changes =
          old == null
              ? List.of(new Change.Added<>(key, value))
              : old.equals(value) ? List.of() : List.of(new Change.Updated<>(key, old, value));
      notifySubscribers(changes);
      return changes;
    }

    @Override
    public List<Change<K, V>> removeNow(K key) {
      checkCore();
      V old = map.get(key);
      Delta<K, V> delta = map.remove(key);
      if (old == null) {
        return List.of();
      }
      replicator.recordLocal(delta);
      scheduleFlush();
      List<Change<K, V>> changes = List.of(new Change.Removed<>(key, old));
      notifySubscribers(changes);
      return changes;
    }

    @Override
    public @Nullable V getNow(K key) {
      checkCore();
      return map.get(key);
    }

    @Override
    public void forEachNow(BiConsumer<? super K, ? super V> action) {
      checkCore();
      map.forEach(action);
    }

    @Override
    public int sizeNow() {
      checkCore();
      return map.size();
    }

    @Override
    public void subscribe(Consumer<List<Change<K, V>>> subscriber) {
      subscribers.add(requireNonNull(subscriber, "subscriber"));
    }

    private void notifySubscribers(List<Change<K, V>> changes) {
      if (changes.isEmpty()) {
        return;
      }
      for (Consumer<List<Change<K, V>>> s : subscribers) {
        try {
          s.accept(changes);
        } catch (RuntimeException e) {
          log.warn("[{}] subscriber of scope {} failed", self.name(), name, e);
        }
      }
    }

    @SuppressWarnings("unchecked")
    void receive(NodeId from, ReplicationMessage<?, ?> message) {
      Replicator.Result<K, V> result;
      try {
        result = replicator.receive(from.replicaId(), (ReplicationMessage<K, V>) message);
      } catch (IllegalArgumentException | ClassCastException e) {
        log.warn(
            "[{}] dropping malformed {} of scope {} from {}: {}",
            self.name(),
            message.getClass().getSimpleName(),
            name,
            from,
            e.getMessage());
        return;
      }
      send(result.replies());
      notifySubscribers(result.changes());
    }

    void tick() {
      send(replicator.tick());
    }

    void flush() {
      send(replicator.flush());
    }

    private void send(List<Replicator.Outgoing<K, V>> out) {
      for (Replicator.Outgoing<K, V> o : out) {
        Peer p = peers.get(o.to().node());
        if (p != null && p.id.incarnation() == o.to().incarnation()) {
          transport.send(p.id, new Scoped(name, o.message()));
        }
      }
    }
  }

  /** Builds and starts a {@link Cluster} node; every setter validates its argument at once. */
  public static final class Builder {
    private final String clusterName;
    private final String nodeName;
    private byte[] secret = new byte[0];
    private String bindHost = "127.0.0.1";
    private int bindPort;
    private String advertisedHost = "127.0.0.1";
    private SeedResolver seeds = List::of;
    private long incarnation = System.currentTimeMillis();
    private Duration heartbeatInterval = Duration.ofMillis(200);
    private Duration unreachableAfter = Duration.ofSeconds(1);
    private Duration downAfter = Duration.ofMillis(1_800);
    private Duration gossipInterval = Duration.ofMillis(200);
    private Duration joinRetry = Duration.ofMillis(500);
    private int quorumSize;
    private int ioThreads = 1;
    private Replicator.Settings replication = Replicator.Settings.defaults();
    private @Nullable SslContext serverSsl;
    private @Nullable SslContext clientSsl;
    private Consumer<Kryo> registrar = kryo -> {};
    private final List<ClusterListener> listeners = new ArrayList<>();

    private Builder(String clusterName, String nodeName) {
      this.clusterName = nonEmpty(clusterName, "clusterName");
      this.nodeName = nonEmpty(nodeName, "nodeName");
      if (nodeName.equals(Transport.ANY)) {
        throw new IllegalArgumentException("nodeName '*' is reserved");
      }
    }

    private static String nonEmpty(String value, String name) {
      requireNonNull(value, name);
      if (value.isEmpty()) {
        throw new IllegalArgumentException(name + " must not be empty");
      }
      return value;
    }

    private static Duration positive(Duration d, String name) {
      requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }

    /** The shared secret of the cluster (required; at least 16 bytes). */
    public Builder secret(byte[] secret) {
      requireNonNull(secret, "secret");
      if (secret.length < 16) {
        throw new IllegalArgumentException("secret must have at least 16 bytes");
      }
      this.secret = secret.clone();
      return this;
    }

    /** The address to listen on (default 127.0.0.1, port 0 = ephemeral). */
    public Builder bind(String host, int port) {
      this.bindHost = nonEmpty(host, "host");
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
      }
      this.bindPort = port;
      return this;
    }

    /** The host other nodes dial (default 127.0.0.1). */
    public Builder advertise(String host) {
      this.advertisedHost = nonEmpty(host, "host");
      return this;
    }

    /** Seeds as {@code host:port} strings. */
    public Builder seeds(List<String> hostPorts) {
      this.seeds = SeedResolver.of(hostPorts);
      return this;
    }

    /** Seeds from a resolver (for instance {@link SeedResolver#dns}). */
    public Builder seeds(SeedResolver resolver) {
      this.seeds = requireNonNull(resolver, "resolver");
      return this;
    }

    /** This start's incarnation (default: the start time in ms; must grow across restarts). */
    public Builder incarnation(long incarnation) {
      if (incarnation < 0) {
        throw new IllegalArgumentException("incarnation must be >= 0");
      }
      this.incarnation = incarnation;
      return this;
    }

    /** Failure detection timings (defaults 200 ms, 1 s, 1.8 s). */
    public Builder failureDetection(Duration heartbeat, Duration unreachable, Duration down) {
      this.heartbeatInterval = positive(heartbeat, "heartbeat");
      this.unreachableAfter = positive(unreachable, "unreachable");
      this.downAfter = positive(down, "down");
      if (down.compareTo(unreachable) < 0) {
        throw new IllegalArgumentException("down must be >= unreachable");
      }
      return this;
    }

    /** The gossip round interval (default 200 ms). */
    public Builder gossipInterval(Duration interval) {
      this.gossipInterval = positive(interval, "interval");
      return this;
    }

    /** The smallest cluster size quorum is counted against (default 0: the member count). */
    public Builder quorumSize(int size) {
      if (size < 0) {
        throw new IllegalArgumentException("quorumSize must be >= 0, was " + size);
      }
      this.quorumSize = size;
      return this;
    }

    /** Replication tuning. */
    public Builder replication(Replicator.Settings replication) {
      this.replication = requireNonNull(replication, "replication");
      return this;
    }

    /** Mutual TLS (server context should require client auth). */
    public Builder tls(SslContext server, SslContext client) {
      this.serverSsl = requireNonNull(server, "server");
      this.clientSsl = requireNonNull(client, "client");
      return this;
    }

    /** Registers the application's wire types (use Kryo ids 300 and up). */
    public Builder registrar(Consumer<Kryo> registrar) {
      this.registrar = requireNonNull(registrar, "registrar");
      return this;
    }

    /** Adds a listener of cluster events. */
    public Builder listener(ClusterListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    /** Netty I/O threads (default 1). */
    public Builder ioThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("ioThreads must be >= 1");
      }
      this.ioThreads = threads;
      return this;
    }

    /**
     * Binds, starts and begins joining.
     *
     * @throws IllegalStateException if no secret was set or the port cannot be bound
     */
    public Cluster start() {
      if (secret.length == 0) {
        throw new IllegalStateException("secret is required");
      }
      return new Cluster(this).start();
    }
  }

  /**
   * This node's view of the cluster.
   *
   * @param self this node
   * @param members every member it knows, itself first
   * @param quorum whether it has quorum
   * @param replication per scope, per neighbour, the replication state
   */
  public record ClusterStatus(
      NodeId self,
      List<Member> members,
      boolean quorum,
      Map<String, Map<ReplicaId, String>> replication) {}
}
