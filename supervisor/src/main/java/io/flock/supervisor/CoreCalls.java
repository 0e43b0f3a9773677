package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.supervisor.SupervisorException.Reason;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * How a distributed supervisor's public calls reach the cluster's core thread: each call fails at
 * once with {@code STOPPED} after stop or close, and always completes by its deadline (with {@code
 * TIMEOUT}, whose message says the outcome is unknown).
 *
 * <p>Threading: any thread; the tasks run on the core thread.
 */
final class CoreCalls {
  private final Cluster cluster;
  private final String name;
  private final Duration callTimeout;
  private final BooleanSupplier stopping;

  CoreCalls(Cluster cluster, String name, Duration callTimeout, BooleanSupplier stopping) {
    this.cluster = cluster;
    this.name = name;
    this.callTimeout = callTimeout;
    this.stopping = stopping;
  }

  /** Runs {@code task} on the core thread, within the call timeout. */
  <T> CompletableFuture<T> call(Supplier<T> task) {
    return compose(() -> CompletableFuture.completedFuture(task.get()), callTimeout);
  }

  /** Runs {@code task} on the core thread and follows its future, within {@code deadline}. */
  <T extends @Nullable Object> CompletableFuture<T> compose(
      Supplier<CompletableFuture<T>> task, Duration deadline) {
    if (stopping.getAsBoolean() || cluster.isClosed()) {
      return CompletableFuture.failedFuture(
          new SupervisorException(Reason.STOPPED, "supervisor " + name + " is stopped"));
    }
    return onCore(task)
        .orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(
            e ->
                CompletableFuture.failedFuture(
                    e instanceof TimeoutException
                        ? new SupervisorException(
                            Reason.TIMEOUT,
                            "no answer within " + deadline + ": the outcome is unknown",
                            null,
                            e)
                        : e instanceof CompletionException c && c.getCause() != null
                            ? c.getCause()
                            : e));
  }

  /** Runs {@code task} on the core thread and follows its future, with no deadline of its own. */
  <T extends @Nullable Object> CompletableFuture<T> onCore(Supplier<CompletableFuture<T>> task) {
    return runOn(cluster.onCore(), task::get, "the cluster node " + cluster.self() + " is closed");
  }

  /**
   * Runs {@code task} on {@code executor} and completes with the future it returns (or with what it
   * threw); fails with {@code STOPPED} and {@code stoppedMessage} if the executor refuses it.
   */
  static <T extends @Nullable Object> CompletableFuture<T> runOn(
      Executor executor, Callable<CompletableFuture<T>> task, String stoppedMessage) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.execute(
          () -> {
            try {
              pipe(task.call(), result);
            } catch (Throwable t) {
              result.completeExceptionally(t);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new SupervisorException(Reason.STOPPED, stoppedMessage));
    }
    return result;
  }

  /** Completes {@code to} with {@code from}'s outcome once it has one. */
  static <T extends @Nullable Object> void pipe(
      CompletableFuture<T> from, CompletableFuture<T> to) {
    var unused =
        from.whenComplete(
            (v, e) -> {
              if (e != null) {
                to.completeExceptionally(e);
              } else {
                to.complete(v);
              }
            });
  }
}
