package io.flock.supervisor;

/**
 * A unit of work. {@link #run} runs on its own virtual thread: returning is a normal exit, throwing
 * is a crash (the exception is kept for the report). It should return soon after its thread is
 * interrupted or {@link ChildContext#stopRequested()} turns true.
 */
@FunctionalInterface
public interface Child {
  /**
   * Runs the child until it is done or asked to stop.
   *
   * @param context this incarnation's context
   * @throws Exception to crash
   */
  void run(ChildContext context) throws Exception;
}
