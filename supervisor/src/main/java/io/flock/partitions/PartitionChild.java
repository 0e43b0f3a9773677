package io.flock.partitions;

import io.flock.supervisor.Checkpoint;
import io.flock.supervisor.Child;
import io.flock.supervisor.ChildContext;
import io.flock.supervisor.SupervisorException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionException;
import java.util.function.IntFunction;
import org.slf4j.Logger;

/**
 * The child that runs one partition: resumes from the last acknowledged position (else the worker's
 * initial one), polls the worker, saves the position each time it moved, and hands it over on a
 * graceful stop.
 *
 * <p>Threading: the child's own thread.
 */
final class PartitionChild implements Child {
  private final IntFunction<PartitionWorker> workers;

  PartitionChild(IntFunction<PartitionWorker> workers) {
    this.workers = workers;
  }

  static byte[] encode(long position) {
    return ByteBuffer.allocate(Long.BYTES).putLong(position).array();
  }

  static long decode(byte[] state) {
    if (state.length != Long.BYTES) {
      throw new IllegalStateException("not a partition position: " + state.length + " bytes");
    }
    return ByteBuffer.wrap(state).getLong();
  }

  @Override
  public void run(ChildContext ctx) throws Exception {
    String source = ctx.args().get(PartitionWorkers.ARG_SOURCE);
    String p = ctx.args().get(PartitionWorkers.ARG_PARTITION);
    if (source == null || p == null) {
      throw new IllegalStateException("child " + ctx.id() + " is not a partition worker's");
    }
    int partition = Integer.parseInt(p);
    PartitionWorker worker = workers.apply(partition);
    Checkpoint last = ctx.load();
    long saved = last != null ? decode(last.state()) : worker.initialPosition(partition);
    Progress progress = new Progress(ctx, source, partition, saved);
    try {
      while (!ctx.stopRequested()) {
        worker.poll(progress);
        long now = progress.position();
        if (now != saved) {
          save(ctx, now);
          saved = now;
        }
      }
    } catch (InterruptedException stop) {
      if (!ctx.stopRequested()) {
        throw stop;
      }
    }
    if (progress.position() != saved) {
      try {
        ctx.handOff(encode(progress.position()));
      } catch (SupervisorException e) {
        // Fenced (the lease lapsed, or it ended for good): the next copy resumes from the last
        // save.
        ctx.log()
            .debug("partition {} of {}: hand-off refused: {}", partition, source, e.getMessage());
      }
    }
  }

  private static void save(ChildContext ctx, long position) {
    try {
      var unused = ctx.save(encode(position)).join();
    } catch (CompletionException e) {
      // Not acknowledged: this copy crashes and restarts from what was (at least once).
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** The worker's view of its assignment. */
  private static final class Progress implements PartitionContext {
    private final ChildContext ctx;
    private final String source;
    private final int partition;
    private volatile long position;

    Progress(ChildContext ctx, String source, int partition, long position) {
      this.ctx = ctx;
      this.source = source;
      this.partition = partition;
      this.position = position;
    }

    @Override
    public String source() {
      return source;
    }

    @Override
    public int partition() {
      return partition;
    }

    @Override
    public long generation() {
      return ctx.generation();
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public void ack(long next) {
      if (next < position) {
        throw new IllegalArgumentException(
            "next must not go back: " + next + " is below the position " + position);
      }
      position = next;
    }

    @Override
    public boolean isCurrent() {
      return ctx.isCurrent();
    }

    @Override
    public boolean stopRequested() {
      return ctx.stopRequested();
    }

    @Override
    public Logger log() {
      return ctx.log();
    }
  }
}
