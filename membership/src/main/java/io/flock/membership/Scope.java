package io.flock.membership;

import io.flock.crdt.Change;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One replicated add-wins last-writer-wins map of the cluster, gossiped to every member. Every node
 * that uses a scope creates it with the same name; keys and values must be registered with Kryo on
 * every node.
 *
 * <p>Threading: the {@code CompletableFuture} methods may be called from any thread. The {@code
 * ...Now} methods and subscribers run on the cluster's core thread ({@link Cluster#onCore}) and
 * throw {@link IllegalStateException} elsewhere: code that already runs there (a supervisor's
 * reconciliation) uses them without a hop.
 */
public interface Scope<K, V> {
  /** The scope's name. */
  String name();

  /** Sets {@code key} cluster-wide; completes once written locally (replication follows). */
  CompletableFuture<Void> put(K key, V value);

  /** Removes {@code key} cluster-wide (a concurrent put elsewhere wins). */
  CompletableFuture<Void> remove(K key);

  /** The value this node sees, or null. */
  CompletableFuture<@Nullable V> get(K key);

  /** A copy of what this node sees. */
  CompletableFuture<Map<K, V>> snapshot();

  /** Core thread: sets a key and returns the change it made visible (if any). */
  List<Change<K, V>> putNow(K key, V value);

  /** Core thread: removes a key. */
  List<Change<K, V>> removeNow(K key);

  /**
   * Core thread: removes only the entries of {@code key} whose value {@code which} accepts; a
   * concurrent write of another value that this node holds (hidden by the conflict order) stays and
   * becomes visible, here and everywhere. Returns the change it made visible (if any).
   */
  List<Change<K, V>> removeIfNow(K key, java.util.function.Predicate<? super V> which);

  /** Core thread: reads a key. */
  @Nullable V getNow(K key);

  /** Core thread: iterates what this node sees. */
  void forEachNow(java.util.function.BiConsumer<? super K, ? super V> action);

  /** Core thread: the number of visible keys. */
  int sizeNow();

  /**
   * Core thread: a mark for this node's writes to this scope so far, to pass to {@link
   * #holdersNow}.
   */
  long writeMarkNow();

  /**
   * Core thread: how many members hold every write this node made to this scope up to {@code mark}
   * (itself included): the ones that acknowledged them. A write held by a majority survives the
   * loss of any minority.
   */
  int holdersNow(long mark);

  /**
   * Core thread: starts a catch-up, a fresh digest comparison with every member, and returns its
   * mark for {@link #caughtUpNow}. A node that was cut off may see an older state than the others
   * wrote meanwhile; once {@code caughtUpNow(mark)} reaches a majority it has seen every write a
   * majority held after this call (a write held by a majority cannot be missed).
   */
  long catchUpNow();

  /**
   * Core thread: how many members, this node included, it has caught up with since {@link
   * #catchUpNow} returned {@code mark}: for each, a whole digest comparison begun after that call
   * completed, so it held everything that member held then. A mark from before this node's current
   * incarnation counts this node only.
   */
  int caughtUpNow(long mark);

  /**
   * Core thread: the names of the members, this node included, it has caught up with since {@link
   * #catchUpNow} returned {@code mark}, as {@link #caughtUpNow} counts them: for a rule that must
   * have heard particular members, not just enough of them.
   */
  java.util.Set<String> caughtUpWithNow(long mark);

  /**
   * Calls {@code listener} on the core thread each time what {@link #holdersNow} or {@link
   * #caughtUpNow} answer may have grown (a member acknowledged more of this node's writes, or a
   * catch-up with one completed), so code waiting on them checks again then instead of polling. It
   * must be quick; an exception it throws is logged and contained.
   */
  void onProgress(Runnable listener);

  /**
   * Subscribes to every change of the visible map, local or remote, in order, on the core thread.
   * An exception the subscriber throws is logged and contained.
   */
  void subscribe(Consumer<List<Change<K, V>>> subscriber);
}
