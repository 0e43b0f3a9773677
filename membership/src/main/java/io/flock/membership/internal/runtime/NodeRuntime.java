package io.flock.membership.internal.runtime;

import static java.util.Objects.requireNonNull;

import io.flock.membership.ClusterClosedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Delayed;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's <em>core</em>: one thread that owns all cluster state, a scheduler on it, and the clock
 * protocol code reads. Everything reaches the state as a task on this thread, so no state needs a
 * lock.
 *
 * <ul>
 *   <li>A task that throws a {@link RuntimeException} is logged with the node's name and counted;
 *       the thread and every periodic task go on ({@link #every} never cancels itself, unlike a
 *       bare {@code scheduleWithFixedDelay}).
 *   <li>An {@link Error} on the core (out of memory, a stack overflow in a listener) may have left
 *       state half-updated: the runtime is failed and {@code onFatal} closes the node, so it is
 *       never half-alive.
 *   <li>After {@link #close}, {@link #call} fails at once with {@link ClusterClosedException}, and
 *       every future handed to {@link #track} that has not completed fails with it too.
 * </ul>
 *
 * <p>Threading: every method may be called from any thread unless it says core thread.
 */
public final class NodeRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeRuntime.class);

  private final String node;
  private final LongSupplier nanos;
  private final ScheduledThreadPoolExecutor core;
  private final Consumer<Throwable> onFatal;
  private final AtomicLong taskFailures = new AtomicLong();
  private final java.util.Map<Long, CompletableFuture<?>> tracked = new ConcurrentHashMap<>();
  private final AtomicLong trackIds = new AtomicLong();
  private volatile @Nullable Thread coreThread;
  private volatile boolean closed;
  // Urgent tasks (the failure detector's and the lease's): every core task first runs those that
  // came in meanwhile, so they wait for the task running now, never behind a backlog.
  private final java.util.Queue<Urgent> urgent = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.ScheduledExecutorService ticker;

  private record Urgent(String what, Runnable task) {}

  /**
   * Starts the core thread.
   *
   * @param node the node's name, for thread names and log lines
   * @param nanos the monotonic clock protocol code reads ({@code System::nanoTime} in production)
   * @param onFatal called once, on a fresh thread, after an {@link Error} hit the core
   */
  public NodeRuntime(String node, LongSupplier nanos, Consumer<Throwable> onFatal) {
    this.node = requireNonNull(node, "node");
    this.nanos = requireNonNull(nanos, "nanos");
    this.onFatal = requireNonNull(onFatal, "onFatal");
    this.core =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "flock-core-" + node);
              t.setDaemon(true);
              coreThread = t; // the one thread checkCore accepts, even if the pool replaces it
              return t;
            });
    core.setRemoveOnCancelPolicy(true);
    core.prestartCoreThread();
    this.ticker =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "flock-tick-" + node);
              t.setDaemon(true);
              return t;
            });
  }

  /** The node's name. */
  public String node() {
    return node;
  }

  /** The monotonic clock, in nanoseconds. */
  public long nanoTime() {
    return nanos.getAsLong();
  }

  /** Whether the calling thread is the core thread. */
  public boolean isCoreThread() {
    return Thread.currentThread() == coreThread;
  }

  /**
   * Fails unless called on the core thread.
   *
   * @throws IllegalStateException naming the calling thread
   */
  public void checkCore() {
    if (!isCoreThread()) {
      throw new IllegalStateException(
          "must run on the cluster's core thread (use Cluster.onCore()), not "
              + Thread.currentThread().getName());
    }
  }

  /** Whether {@link #close} ran (or an {@link Error} failed the core). */
  public boolean isClosed() {
    return closed;
  }

  /** Tasks that threw since start. */
  public long taskFailures() {
    return taskFailures.get();
  }

  /** Runs {@code task} on the core thread; dropped once closed. */
  public void execute(Runnable task) {
    requireNonNull(task, "task");
    if (closed) {
      return;
    }
    try {
      core.execute(() -> guarded("core task", task));
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /** Runs {@code task} on the core and completes with its result (or its exception). */
  public <T extends @Nullable Object> CompletableFuture<T> call(Callable<T> task) {
    requireNonNull(task, "task");
    CompletableFuture<T> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new ClusterClosedException(node));
      return result;
    }
    var unused = track(result);
    try {
      core.execute(
          () ->
              guarded(
                  "call",
                  () -> {
                    try {
                      result.complete(task.call());
                    } catch (Error e) {
                      result.completeExceptionally(e);
                      throw e;
                    } catch (Exception e) {
                      result.completeExceptionally(e); // the caller hears of it: no log line
                    }
                  }));
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new ClusterClosedException(node));
    }
    return result;
  }

  /**
   * Fails {@code future} with {@link ClusterClosedException} if it is still pending when the node
   * closes; returns it.
   */
  public <T> CompletableFuture<T> track(CompletableFuture<T> future) {
    if (closed) {
      future.completeExceptionally(new ClusterClosedException(node));
      return future;
    }
    long id = trackIds.incrementAndGet();
    tracked.put(id, future);
    var unused = future.whenComplete((v, e) -> tracked.remove(id));
    if (closed) {
      future.completeExceptionally(new ClusterClosedException(node));
    }
    return future;
  }

  /**
   * Completes when {@code condition} (checked on the core every 20 ms) holds; fails with a {@link
   * java.util.concurrent.TimeoutException} naming {@code what} after {@code timeout}, or with
   * {@link ClusterClosedException} when the node closes first.
   */
  public CompletableFuture<Void> await(
      Duration timeout, java.util.function.BooleanSupplier condition, String what) {
    requireNonNull(timeout, "timeout");
    CompletableFuture<Void> done = track(new CompletableFuture<>());
    long deadline = System.nanoTime() + timeout.toNanos();
    Runnable[] check = new Runnable[1];
    check[0] =
        () -> {
          if (condition.getAsBoolean()) {
            done.complete(null);
          } else if (System.nanoTime() > deadline) {
            done.completeExceptionally(
                new java.util.concurrent.TimeoutException("no " + what + " within " + timeout));
          } else {
            schedule(check[0], Duration.ofMillis(20));
          }
        };
    execute(check[0]);
    return done;
  }

  /** Runs {@code task} on the core after {@code delay}; dropped once closed. */
  public void schedule(Runnable task, Duration delay) {
    if (closed) {
      return;
    }
    try {
      ScheduledFuture<?> unused =
          core.schedule(
              () -> guarded("scheduled task", task), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /**
   * Runs {@code task} on the core every {@code interval} until close. An exception is logged with
   * the node's name and {@code what}, counted, and the next tick runs as planned.
   */
  public void every(String what, Duration interval, Runnable task) {
    long n = interval.toNanos();
    try {
      ScheduledFuture<?> unused =
          core.scheduleWithFixedDelay(() -> guarded(what, task), n, n, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /**
   * Runs {@code task} on the core ahead of the tasks waiting there: right after the task running
   * now (every core task first runs the urgent ones that came in meanwhile). For the heartbeats and
   * their acknowledgements, which keep this node's lease and its view of the others: behind a
   * backlog of work they would make a busy node look dead. Dropped once closed.
   */
  public void executeUrgent(String what, Runnable task) {
    requireNonNull(task, "task");
    if (closed) {
      return;
    }
    urgent.add(new Urgent(what, task));
    execute(() -> {}); // an idle core: this wakes it, and the urgent task runs first
  }

  /**
   * Runs {@code task} as an urgent task ({@link #executeUrgent}) every {@code interval} until
   * close, timed by a thread of its own, so a busy core delays it by one task at most. A tick not
   * yet run when the next is due is not doubled.
   */
  public void everyUrgent(String what, Duration interval, Runnable task) {
    long n = interval.toNanos();
    java.util.concurrent.atomic.AtomicBoolean pending =
        new java.util.concurrent.atomic.AtomicBoolean();
    Runnable tick =
        () -> {
          pending.set(false);
          task.run();
        };
    try {
      ScheduledFuture<?> unused =
          ticker.scheduleWithFixedDelay(
              () -> {
                if (pending.compareAndSet(false, true)) {
                  executeUrgent(what, tick);
                }
              },
              n,
              n,
              TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /** Core thread: whether a task is ready to run right after the current one. */
  public boolean hasReadyWork() {
    Runnable next = core.getQueue().peek();
    return next instanceof Delayed d && d.getDelay(TimeUnit.NANOSECONDS) <= 0;
  }

  private void guarded(String what, Runnable task) {
    for (Urgent u; !closed && (u = urgent.poll()) != null; ) {
      runGuarded(u.what(), u.task());
    }
    runGuarded(what, task);
  }

  private void runGuarded(String what, Runnable task) {
    if (closed) {
      return;
    }
    try {
      task.run();
    } catch (RuntimeException e) {
      taskFailures.incrementAndGet();
      log.error("[{}] {} failed; the node goes on", node, what, e);
    } catch (Error e) {
      taskFailures.incrementAndGet();
      log.error("[{}] {} hit {}: the node's state may be broken, closing it", node, what, e, e);
      if (!closed) {
        closed = true;
        Thread fatal = new Thread(() -> onFatal.accept(e), "flock-fatal-" + node);
        fatal.setDaemon(true);
        fatal.start();
      }
    }
  }

  /** Stops the core thread; fails every tracked future. Idempotent. Never waits on itself. */
  @Override
  public void close() {
    closed = true;
    ticker.shutdownNow();
    core.shutdownNow();
    List<CompletableFuture<?>> pending = new ArrayList<>(tracked.values());
    for (CompletableFuture<?> f : pending) {
      f.completeExceptionally(new ClusterClosedException(node));
    }
    if (!isCoreThread()) {
      try {
        if (!core.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("[{}] core thread did not stop within 5 s", node);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
