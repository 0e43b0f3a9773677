package io.flock.supervisor;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Where the children of one supervisor keep their checkpoints: in memory for a {@link
 * LocalSupervisor} ({@link LocalCheckpoints}), replicated for a {@link DistributedSupervisor}
 * ({@link Checkpoints}).
 *
 * <p>Threading: any thread; the futures never hang (they fail by the supervisor's call timeout).
 */
interface CheckpointStore {
  /**
   * Saves {@code state} as the checkpoint of the copy ({@code id}, {@code generation}); completes
   * when it is acknowledged (by the store's rule), fails with {@link SupervisorException} {@code
   * FENCED} if that copy may no longer write (a newer generation saved or was placed, the lease
   * lapsed), {@code TIMEOUT} if not acknowledged in time (it may still be kept).
   */
  CompletableFuture<Checkpoint> save(String id, long generation, byte[] state);

  /** The latest acknowledged checkpoint of {@code id}, or null if none. */
  CompletableFuture<@Nullable Checkpoint> load(String id);

  /** The largest state {@link #save} takes, in bytes. */
  int maxStateBytes();

  /**
   * The local supervisor removed {@code id} (it ended for good, or was terminated here): a store of
   * this node only forgets its checkpoint; a replicated one collects checkpoints when the child's
   * placement ends for good instead, since a child that moves is removed here too.
   */
  void removed(String id);
}
