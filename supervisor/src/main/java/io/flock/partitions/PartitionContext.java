package io.flock.partitions;

import org.slf4j.Logger;

/**
 * What a {@link PartitionWorker} knows of its assignment and how it acknowledges progress.
 *
 * <p>Threading: the worker's thread ({@link #isCurrent} and the getters from any thread).
 */
public interface PartitionContext {
  /** The source's name. */
  String source();

  /** The partition, from 0. */
  int partition();

  /**
   * The generation of this assignment: it grows every time the partition is assigned anew, so a
   * sink that refuses a lower generation than it has seen is safe from a stale copy.
   */
  long generation();

  /** The next position to process: where this copy resumed, moved by {@link #ack}. */
  long position();

  /**
   * The items before {@code next} are done. Cheap (in memory); saved when {@link
   * PartitionWorker#poll} returns, handed over on a graceful stop.
   *
   * @throws IllegalArgumentException if {@code next} is lower than {@link #position()}
   */
  void ack(long next);

  /** Whether this copy is still the current assignment (see {@code ChildContext.isCurrent}). */
  boolean isCurrent();

  /** Whether this copy was asked to stop. */
  boolean stopRequested();

  /** A logger for the worker. */
  Logger log();
}
