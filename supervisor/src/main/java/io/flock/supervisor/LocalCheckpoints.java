package io.flock.supervisor;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * The checkpoints of a {@link LocalSupervisor}'s children, in this JVM's memory: a save is
 * acknowledged at once and survives the child's local restarts, not the JVM.
 *
 * <p>Threading: any thread.
 */
final class LocalCheckpoints implements CheckpointStore {
  static final int MAX_STATE_BYTES = 512 * 1024;

  private final String node;
  private final ConcurrentMap<String, Checkpoint> latest = new ConcurrentHashMap<>();

  LocalCheckpoints(String node) {
    this.node = node;
  }

  @Override
  public CompletableFuture<Checkpoint> save(String id, long generation, byte[] state) {
    CompletableFuture<Checkpoint> out = new CompletableFuture<>();
    latest.compute(
        id,
        (k, old) -> {
          if (old != null && old.generation() > generation) {
            out.completeExceptionally(Checkpoints.fenced(id, generation, old));
            return old;
          }
          long sequence = old != null && old.generation() == generation ? old.sequence() + 1 : 1;
          Checkpoint c = new Checkpoint(id, generation, sequence, node, state);
          out.complete(c);
          return c;
        });
    return out;
  }

  @Override
  public CompletableFuture<@Nullable Checkpoint> load(String id) {
    return CompletableFuture.completedFuture(latest.get(id));
  }

  @Override
  public int maxStateBytes() {
    return MAX_STATE_BYTES;
  }

  @Override
  public void removed(String id) {
    latest.remove(id);
  }
}
