package io.flock.membership.internal.scope;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Change;
import io.flock.crdt.Delta;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.ReplicationMessage;
import io.flock.crdt.Replicator;
import io.flock.membership.ClusterStatus;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One replicated scope: its replica and replicator, owned by the core thread. */
final class ScopeImpl<K, V> implements Scope<K, V> {
  private static final Logger log = LoggerFactory.getLogger(ScopeImpl.class);

  private final ScopeTable table;
  private final String name;
  private final Replicator.Settings settings;
  private final java.util.function.@Nullable Function<K, String> owner;
  private AWLWWMap<K, V> map;
  private Replicator<K, V> replicator;
  private long markOffset; // write marks of earlier incarnations lie below it
  private long catchUpOffset; // catch-up marks of earlier incarnations lie at or below it
  private volatile @Nullable Comparator<? super V> order;
  private boolean used; // a local user asked for it (it was not only made by a message)
  private final List<Consumer<List<Change<K, V>>>> subscribers = new CopyOnWriteArrayList<>();
  private final List<Runnable> progressListeners = new CopyOnWriteArrayList<>();
  private @Nullable ScopeJournal<K, V> journal;

  ScopeImpl(
      ScopeTable table,
      String name,
      ReplicaId self,
      Hlc clock,
      Replicator.Settings settings,
      @Nullable Comparator<? super V> order,
      java.util.function.@Nullable Function<K, String> owner) {
    this.table = table;
    this.name = name;
    this.settings = settings;
    this.owner = owner;
    this.map = new AWLWWMap<>(self, clock, order);
    this.order = order;
    this.replicator = new Replicator<>(map, settings, owner, table::valueBytes);
  }

  /**
   * Core thread: this node goes on as the new replica {@code next} (a new incarnation). The state
   * is kept (copied into a fresh replica, so subscribers see no change and the old incarnation's
   * writes stay known under their own dots); what the old replica had sent and had acknowledged is
   * forgotten, and write marks taken before count only this node as a holder.
   */
  void reincarnate(ReplicaId next, Hlc clock) {
    AWLWWMap<K, V> fresh = new AWLWWMap<>(next, clock, order);
    List<Change<K, V>> unused = fresh.join(map.state());
    markOffset += replicator.sequence() + 1;
    catchUpOffset += replicator.catchUpRound() + 1;
    map = fresh;
    replicator = new Replicator<>(fresh, settings, owner, table::valueBytes);
    replicator.journal(journal);
  }

  /**
   * Core thread: keeps this scope in {@code j}'s log from now on. Its {@code records} (a previous
   * process's state, read off the core by {@link ScopeJournal#read}) are joined into the replica
   * first, subscribers hear what they changed, and the log is rewritten as one snapshot of the
   * joined state. If the scope is durable already, {@code j} is closed and nothing else happens.
   */
  void makeDurable(ScopeJournal<K, V> j, List<ReplicationMessage<K, V>> records) {
    if (journal != null) {
      j.close();
      return;
    }
    List<Change<K, V>> changes = j.replay(map, records);
    j.compact(map);
    replicator.journal(j);
    journal = j;
    notifySubscribers(changes);
  }

  /** A journal of this scope over {@code log} (any thread; attach it with makeDurable). */
  ScopeJournal<K, V> journalOver(io.flock.membership.storage.StorageLog log) {
    return new ScopeJournal<>(table.runtime().node(), name, log, table.types());
  }

  /** Whether this scope is kept on disk. */
  boolean isDurable() {
    return journal != null;
  }

  @Nullable Comparator<? super V> order() {
    return order;
  }

  /**
   * Adopts {@code newOrder} if this scope was made by a message and no local user has it yet (its
   * state is the same under every order); false otherwise.
   */
  @SuppressWarnings("unchecked")
  synchronized boolean adoptOrder(@Nullable Comparator<?> newOrder) {
    if (used || order != null || newOrder == null) {
      return false;
    }
    order = (Comparator<? super V>) newOrder;
    map.conflictOrder(order);
    used = true;
    return true;
  }

  /** Marks the scope as handed to a local user (its order is fixed from now on). */
  synchronized void markUsed() {
    used = true;
  }

  Replicator<K, V> replicator() {
    return replicator;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletableFuture<Void> put(K key, V value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    return table
        .runtime()
        .call(
            () -> {
              putNow(key, value);
              return null;
            });
  }

  @Override
  public CompletableFuture<Void> remove(K key) {
    requireNonNull(key, "key");
    return table
        .runtime()
        .call(
            () -> {
              removeNow(key);
              return null;
            });
  }

  @Override
  public CompletableFuture<@Nullable V> get(K key) {
    requireNonNull(key, "key");
    return table.runtime().<@Nullable V>call(() -> map.get(key));
  }

  @Override
  public CompletableFuture<Map<K, V>> snapshot() {
    return table.runtime().call(map::snapshot);
  }

  @Override
  public List<Change<K, V>> putNow(K key, V value) {
    table.runtime().checkCore();
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    int bytes = table.checkEncodable(key, "key of scope " + name);
    bytes += table.checkEncodable(value, "value of scope " + name);
    V old = map.get(key);
    Delta<K, V> delta = map.put(key, value);
    replicator.recordLocal(delta, bytes);
    table.flushSoon();
    List<Change<K, V>> changes =
        old == null
            ? List.of(new Change.Added<>(key, value))
            : old.equals(value) ? List.of() : List.of(new Change.Updated<>(key, old, value));
    notifySubscribers(changes);
    return changes;
  }

  @Override
  public List<Change<K, V>> removeNow(K key) {
    table.runtime().checkCore();
    V old = map.get(key);
    Delta<K, V> delta = map.remove(key);
    if (old == null) {
      return List.of();
    }
    replicator.recordLocal(delta);
    table.flushSoon();
    List<Change<K, V>> changes = List.of(new Change.Removed<>(key, old));
    notifySubscribers(changes);
    return changes;
  }

  @Override
  public List<Change<K, V>> removeIfNow(K key, java.util.function.Predicate<? super V> which) {
    table.runtime().checkCore();
    V old = map.get(key);
    Delta<K, V> delta = map.removeIf(key, which);
    if (delta.isEmpty()) {
      return List.of();
    }
    replicator.recordLocal(delta);
    table.flushSoon();
    V now = map.get(key);
    List<Change<K, V>> changes =
        old == null || old.equals(now)
            ? List.of()
            : now == null
                ? List.of(new Change.Removed<>(key, old))
                : List.of(new Change.Updated<>(key, old, now));
    notifySubscribers(changes);
    return changes;
  }

  @Override
  public @Nullable V getNow(K key) {
    table.runtime().checkCore();
    return map.get(key);
  }

  @Override
  public void forEachNow(BiConsumer<? super K, ? super V> action) {
    table.runtime().checkCore();
    map.forEach(action);
  }

  @Override
  public int sizeNow() {
    table.runtime().checkCore();
    return map.size();
  }

  @Override
  public long writeMarkNow() {
    table.runtime().checkCore();
    return markOffset + replicator.sequence();
  }

  @Override
  public int holdersNow(long mark) {
    table.runtime().checkCore();
    // Below the offset: an earlier incarnation's writes, which only this node is known to hold. At
    // or above: this replica's; none written yet (mark == offset) is held by every neighbour.
    return mark < markOffset ? 1 : replicator.holders(mark - markOffset);
  }

  @Override
  public long catchUpNow() {
    table.runtime().checkCore();
    send(replicator.catchUp());
    return catchUpOffset + replicator.catchUpRound();
  }

  @Override
  public int caughtUpNow(long mark) {
    table.runtime().checkCore();
    return mark <= catchUpOffset ? 1 : replicator.caughtUp(mark - catchUpOffset);
  }

  @Override
  public java.util.Set<String> caughtUpWithNow(long mark) {
    table.runtime().checkCore();
    java.util.Set<String> out = new java.util.TreeSet<>();
    out.add(replicator.self().node());
    if (mark > catchUpOffset) {
      for (ReplicaId r : replicator.caughtUpWith(mark - catchUpOffset)) {
        out.add(r.node());
      }
    }
    return out;
  }

  @Override
  public void subscribe(Consumer<List<Change<K, V>>> subscriber) {
    subscribers.add(requireNonNull(subscriber, "subscriber"));
  }

  @Override
  public void onProgress(Runnable listener) {
    progressListeners.add(requireNonNull(listener, "listener"));
  }

  private void notifyProgress() {
    for (Runnable r : progressListeners) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("[{}] progress listener of scope {} failed", table.runtime().node(), name, e);
      }
    }
  }

  private void notifySubscribers(List<Change<K, V>> changes) {
    if (changes.isEmpty()) {
      return;
    }
    for (Consumer<List<Change<K, V>>> s : subscribers) {
      try {
        s.accept(changes);
      } catch (RuntimeException e) {
        log.warn("[{}] subscriber of scope {} failed", table.runtime().node(), name, e);
      }
    }
  }

  @SuppressWarnings("unchecked")
  void receive(NodeId from, ReplicationMessage<?, ?> message) {
    Replicator.Result<K, V> result;
    Replicator<K, V> r = replicator;
    long progress = r.progress();
    try {
      result = r.receive(from.replicaId(), (ReplicationMessage<K, V>) message);
    } catch (IllegalArgumentException | ClassCastException e) {
      log.warn(
          "[{}] dropping malformed {} of scope {} from {}: {}",
          table.runtime().node(),
          message.getClass().getSimpleName(),
          name,
          from,
          e.getMessage());
      return;
    }
    send(result.replies());
    notifySubscribers(result.changes());
    if (r.progress() != progress && !progressListeners.isEmpty()) {
      notifyProgress();
    }
  }

  void tick() {
    send(replicator.tick());
    ScopeJournal<K, V> j = journal;
    if (j != null && j.compactDue()) {
      j.compact(map);
    }
  }

  void flush() {
    send(replicator.flush());
  }

  private void send(List<Replicator.Outgoing<K, V>> out) {
    for (Replicator.Outgoing<K, V> o : out) {
      table.outbox().send(o.to(), name, o.message());
    }
  }

  ClusterStatus.ScopeStatus status() {
    List<ClusterStatus.Neighbour> neighbours = new ArrayList<>();
    for (ReplicaId n : replicator.neighbours()) {
      neighbours.add(
          new ClusterStatus.Neighbour(
              n.node(), n.incarnation(), replicator.lag(n), replicator.isSyncing(n)));
    }
    return new ClusterStatus.ScopeStatus(name, map.size(), replicator.sequence(), neighbours);
  }
}
