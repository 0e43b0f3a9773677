package io.flock.membership.internal.scope;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.ReplicationMessage;
import io.flock.crdt.Replicator;
import io.flock.membership.ClusterStatus;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.wire.WireTypeRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Every replicated scope of a node, sharing one HLC and one transport: creation, incoming
 * replication messages, gossip rounds, coalesced flushes, the neighbour set and retirements.
 *
 * <p>A durable scope whose log is on this node's disk takes no part in replication until it is
 * opened and its log read: its messages are dropped (the senders send again), so no member counts
 * an empty replica here as holding what the log holds, or as caught up with. (A restarted node
 * whose supervisor had not opened its checkpoints yet answered the others' catch-up with nothing;
 * they took the last acknowledged save for missing.)
 *
 * <p>Flushes coalesce: writes made in one core task leave as one interval per neighbour, and while
 * more core work is ready (a burst) the flush waits behind it for at most 2 ms.
 *
 * <p>Threading: {@link #scope} from any thread; everything else on the core thread.
 */
public final class ScopeTable {
  /** Where replication messages go. */
  @FunctionalInterface
  public interface Outbox {
    /** Sends one scope's message to one replica (dropped if it is no longer a member). */
    void send(ReplicaId to, String scope, ReplicationMessage<?, ?> message);
  }

  private static final long MAX_FLUSH_DEFERRAL_NANOS = 2_000_000L;

  private final NodeRuntime runtime;
  private ReplicaId self;
  private final Hlc clock;
  private final Replicator.Settings settings;
  private final Outbox outbox;
  private final WireTypeRegistry types;
  private final Map<String, ScopeImpl<?, ?>> scopes = new ConcurrentHashMap<>();
  private final Object opening = new Object(); // durable scopes opened off the core, one at a time
  private List<ReplicaId> neighbours = List.of();
  private final java.util.Set<Map.Entry<String, Long>> retirements =
      new java.util.LinkedHashSet<>();
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ScopeTable.class);

  private long clampedLogged;
  private boolean flushScheduled;
  private long flushDeferredSince;

  /** An empty table. */
  public ScopeTable(
      NodeRuntime runtime,
      ReplicaId self,
      Hlc clock,
      Replicator.Settings settings,
      Outbox outbox,
      WireTypeRegistry types) {
    this(runtime, self, clock, settings, outbox, types, java.util.Set.of(), java.util.Set.of());
  }

  /**
   * A table whose scopes named in {@code ownedByKey} accept an entry of key {@code k} only when
   * node {@code k} wrote it (the member records: a member speaks only for itself), and whose scopes
   * named in {@code unreadLogs} (the logs on this node's disk) wait for their log.
   */
  public ScopeTable(
      NodeRuntime runtime,
      ReplicaId self,
      Hlc clock,
      Replicator.Settings settings,
      Outbox outbox,
      WireTypeRegistry types,
      java.util.Set<String> ownedByKey,
      java.util.Set<String> unreadLogs) {
    this.ownedByKey = java.util.Set.copyOf(ownedByKey);
    this.unread.addAll(unreadLogs);
    this.runtime = requireNonNull(runtime, "runtime");
    this.self = requireNonNull(self, "self");
    this.clock = requireNonNull(clock, "clock");
    this.settings = requireNonNull(settings, "settings");
    this.outbox = requireNonNull(outbox, "outbox");
    this.types = requireNonNull(types, "types");
  }

  private final java.util.Set<String> ownedByKey;
  // durable scopes whose log is on disk and not read yet (any thread reads; removed on the core)
  private final java.util.Set<String> unread = ConcurrentHashMap.newKeySet();
  private final java.util.Set<String> unreadDropLogged = new java.util.HashSet<>(); // core thread

  NodeRuntime runtime() {
    return runtime;
  }

  Outbox outbox() {
    return outbox;
  }

  WireTypeRegistry types() {
    return types;
  }

  /**
   * The scope named {@code name}, kept in {@code storage}'s log of the same name: on first use the
   * log's state is joined into the replica before this returns (blocking the caller while it is
   * read, unless the caller is the core thread).
   *
   * @throws IllegalStateException if the scope exists already with another conflict order
   * @throws java.io.UncheckedIOException if the log cannot be opened or read
   */
  public <K, V> Scope<K, V> durableScope(
      String name,
      @Nullable Comparator<? super V> order,
      io.flock.membership.storage.Storage storage) {
    Scope<K, V> scope = open(name, order);
    @SuppressWarnings("unchecked")
    ScopeImpl<K, V> impl = (ScopeImpl<K, V>) requireNonNull(scopes.get(name), name);
    if (impl.isDurable()) {
      return scope;
    }
    try {
      if (runtime.isCoreThread()) {
        ScopeJournal<K, V> j = impl.journalOver(storage.open(name));
        impl.makeDurable(j, j.read());
        unread.remove(name);
      } else {
        // The log is read and decoded here, off the core (100,000 keys took the core 2 s, long
        // enough for the others to declare this node down); only the join runs there. Openers
        // off the core take turns, so a log is opened once.
        synchronized (opening) {
          if (!runtime.call(impl::isDurable).get()) {
            ScopeJournal<K, V> j = impl.journalOver(storage.open(name));
            List<ReplicationMessage<K, V>> records;
            try {
              records = j.read();
            } catch (java.io.IOException | RuntimeException e) {
              j.close();
              throw e;
            }
            runtime
                .call(
                    () -> {
                      impl.makeDurable(j, records);
                      unread.remove(name);
                      return null;
                    })
                .get();
          }
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("scope " + name + ": cannot open its log", e);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof java.io.IOException io) {
        throw new java.io.UncheckedIOException("scope " + name + ": cannot open its log", io);
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while opening scope " + name, e);
    } catch (Exception e) {
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e);
    }
    return scope;
  }

  /** The encoded size of {@code value}; throws if it cannot be sent or is over the maximum. */
  int checkEncodable(Object value, String what) {
    return types.check(value, what);
  }

  /** The encoded size of a value already in a scope (0 if it cannot be measured). */
  int valueBytes(Object value) {
    try {
      return types.check(value, "value");
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  /** The scope named {@code name}, created on first use (any thread). */
  public <K, V> Scope<K, V> scope(String name) {
    return scope(name, null);
  }

  /**
   * The scope named {@code name} with a conflict order over its values, created on first use (any
   * thread).
   *
   * @throws IllegalStateException if the scope exists already with another order
   */
  public <K, V> Scope<K, V> scope(String name, @Nullable Comparator<? super V> order) {
    unread.remove(name); // opened as a scope that is not durable: its log is not read
    return open(name, order);
  }

  @SuppressWarnings("unchecked")
  private <K, V> Scope<K, V> open(String name, @Nullable Comparator<? super V> order) {
    ScopeImpl<?, ?> s = scopes.computeIfAbsent(name, n -> create(n, order));
    if (s.order() != order && !s.adoptOrder(order)) {
      throw new IllegalStateException("scope " + name + " exists with another conflict order");
    }
    s.markUsed();
    return (Scope<K, V>) s;
  }

  @SuppressWarnings("unchecked")
  private ScopeImpl<?, ?> create(String name, @Nullable Comparator<?> order) {
    ScopeImpl<Object, Object> scope =
        new ScopeImpl<>(
            this,
            name,
            self,
            clock,
            settings,
            (Comparator<Object>) (Comparator<?>) order,
            ownedByKey.contains(name) ? String::valueOf : null);
    if (runtime.isCoreThread()) {
      configure(scope);
    } else {
      runtime.execute(() -> configure(scope));
    }
    return scope;
  }

  /** Core thread: brings a new scope up to date with the neighbours and retirements. */
  private void configure(ScopeImpl<?, ?> scope) {
    for (Map.Entry<String, Long> r : retirements) {
      scope.replicator().retire(r.getKey(), r.getValue());
    }
    scope.replicator().setNeighbours(neighbours);
  }

  /**
   * Core thread: a replication message. A scope exists cluster-wide once any node uses it: holding
   * (and acknowledging) it here keeps the others from re-sending forever, and lets this node catch
   * up later.
   */
  public void receive(NodeId from, String scope, ReplicationMessage<?, ?> message) {
    if (unread.contains(scope)) {
      if (unreadDropLogged.add(scope)) {
        log.info(
            "[{}] scope {}: its log on this node's disk is not read yet; its replication messages"
                + " are dropped until it is opened (durable, as before)",
            runtime.node(),
            scope);
      }
      return;
    }
    // A scope first seen here by a message is made without an order; a local user that asks for
    // one later adopts it (the state does not depend on the order, only the visible winner does).
    ScopeImpl<?, ?> s = scopes.computeIfAbsent(scope, n -> create(n, null));
    s.receive(from, message);
  }

  /**
   * Core thread: a gossip round (re-sends what is unacknowledged, compares digests), and one WARN
   * when remote timestamps were clamped by the clock's drift bound since the last round.
   */
  public void tick() {
    for (ScopeImpl<?, ?> s : scopes.values()) {
      if (!unread.contains(s.name())) {
        s.tick();
      }
    }
    long clamped = clock.clamped();
    if (clamped > clampedLogged) {
      log.warn(
          "[{}] {} remote timestamps were more than {} ms ahead of this node's clock and were"
              + " clamped (a peer's wall clock runs ahead)",
          runtime.node(),
          clamped - clampedLogged,
          Hlc.DEFAULT_MAX_OFFSET_MILLIS);
      clampedLogged = clamped;
    }
  }

  /** Remote timestamps clamped by the clock's drift bound (any thread). */
  public long clampedTimestamps() {
    return clock.clamped();
  }

  /** Core thread: a flush after the current task, so writes made in one task coalesce. */
  public void flushSoon() {
    if (!flushScheduled) {
      flushScheduled = true;
      runtime.execute(this::flushCoalesced);
    }
  }

  private void flushCoalesced() {
    long now = System.nanoTime();
    if (flushDeferredSince == 0) {
      flushDeferredSince = now;
    }
    if (runtime.hasReadyWork() && now - flushDeferredSince < MAX_FLUSH_DEFERRAL_NANOS) {
      runtime.execute(this::flushCoalesced);
      return;
    }
    flushNow();
  }

  /** Core thread: sends what every scope wrote, now. */
  public void flushNow() {
    flushDeferredSince = 0;
    flushScheduled = false;
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.flush();
    }
  }

  /** Core thread: the replication neighbours of every scope. */
  public void neighbours(List<ReplicaId> now) {
    neighbours = List.copyOf(now);
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.replicator().setNeighbours(neighbours);
    }
  }

  /** Core thread: incarnations of {@code node} below {@code incarnation} have ended. */
  public void retire(String node, long incarnation) {
    retirements.add(Map.entry(node, incarnation));
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.replicator().retire(node, incarnation);
    }
  }

  /** Core thread: whether every neighbour acknowledged every local write of every scope. */
  public boolean acknowledged() {
    return unacknowledged().isEmpty();
  }

  /** Core thread: "scope: neighbour" for each neighbour that has not acknowledged a scope yet. */
  public List<String> unacknowledged() {
    List<String> out = new ArrayList<>();
    for (ScopeImpl<?, ?> s : scopes.values()) {
      for (ReplicaId n : s.replicator().neighbours()) {
        if (s.replicator().lag(n) != 0) {
          out.add(s.name() + ": " + n + " (lag " + s.replicator().lag(n) + ")");
        }
      }
    }
    return out;
  }

  /**
   * Core thread: this node goes on as the new replica {@code next} of every scope (it rejoins as a
   * new incarnation). The state is kept; the neighbours are set again by the node as it rejoins,
   * and the old incarnation is retired here as everywhere else.
   */
  public void reincarnate(ReplicaId next) {
    ReplicaId old = self;
    self = next;
    neighbours = List.of();
    for (ScopeImpl<?, ?> s : scopes.values()) {
      s.reincarnate(next, clock);
      configure(s);
    }
    retire(old.node(), next.incarnation());
  }

  /** Core thread: the status of every scope, by name. */
  public List<ClusterStatus.ScopeStatus> status() {
    List<ClusterStatus.ScopeStatus> out = new ArrayList<>();
    for (ScopeImpl<?, ?> s : scopes.values()) {
      out.add(s.status());
    }
    out.sort(java.util.Comparator.comparing(ClusterStatus.ScopeStatus::name));
    return out;
  }
}
