package io.flock.partitions;

/**
 * The work on one partition of a source, written by the application: a new instance for each
 * assignment (each copy of the partition's child).
 *
 * <pre>{@code
 * PartitionWorker worker = new PartitionWorker() {
 *   public void poll(PartitionContext ctx) throws Exception {
 *     for (Record r : log.read(ctx.partition(), ctx.position(), 100)) {
 *       sink.write(r, ctx.generation());   // the generation fences the sink against stale copies
 *       ctx.ack(r.offset() + 1);
 *     }
 *   }
 * };
 * }</pre>
 *
 * <p>Threading: every method runs on the partition child's own virtual thread, one at a time.
 */
@FunctionalInterface
public interface PartitionWorker {
  /**
   * Where to begin when this partition has no acknowledged position yet (Elsa's rule: the last
   * acknowledged position if there is one, else the worker's own latest). Default 0.
   *
   * @throws Exception to crash this copy (it is restarted by the supervisor)
   */
  default long initialPosition(int partition) throws Exception {
    return 0;
  }

  /**
   * Processes what is there from {@link PartitionContext#position()}, calling {@link
   * PartitionContext#ack} after each item it finished; returns when it has nothing more for now (it
   * is called again at once, so block briefly in it while the source is empty). The positions
   * acknowledged are saved as the partition's checkpoint when it returns.
   *
   * @throws InterruptedException when the copy is asked to stop (its thread is interrupted): the
   *     position acknowledged so far is handed to the next copy
   * @throws Exception to crash this copy: it restarts from the last saved position, so the items
   *     acknowledged since are processed again (at least once)
   */
  void poll(PartitionContext ctx) throws Exception;
}
