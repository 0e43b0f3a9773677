package io.flock.benchmarks;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One replicated string map on {@code n} nodes on loopback, as the side-by-side benchmarks see it:
 * Flock's scope ({@link FlockReplicas}) or Pekko Distributed Data ({@link PekkoReplicas}). Every
 * node keeps a view fed by its own change notifications, so "visible on a node" means what a
 * subscriber on that node has been told.
 *
 * <p>Thread-safe. {@link #onChange} callbacks run on the system's own threads and must be short.
 */
interface Replicas extends AutoCloseable {
  /** A short label for tables, for example {@code "Flock"} or {@code "Pekko (defaults)"}. */
  String label();

  /** How many nodes run. */
  int nodes();

  /** Writes {@code key -> value} on {@code node}; completes once the node has applied it. */
  CompletableFuture<?> write(int node, String key, String value);

  /** Whether {@code node} has been told of {@code key}. */
  boolean contains(int node, String key);

  /** How many keys {@code node} has been told of. */
  int count(int node);

  /** Runs {@code listener} after every change notification on {@code node}. */
  void onChange(int node, Runnable listener);

  /** Starts one more node that joins the others and catches up; returns its index. */
  int addNode() throws Exception;

  /** The cluster ports of the running nodes, for {@link LoopbackBytes}. */
  Set<Integer> ports();

  @Override
  void close();
}
