package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import io.flock.supervisor.SupervisorException.Reason;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A node-local supervisor with the semantics of OTP's DynamicSupervisor: children started on
 * demand, each on its own virtual thread, restarted by their {@link Restart} type, stopped by their
 * {@link Shutdown}, within a restart intensity. The distributed supervisor delegates to one of
 * these per node, as Horde wraps a local DynamicSupervisor.
 *
 * <h2>Threading</h2>
 *
 * One supervisor thread owns all state; every public method posts to it and returns a {@link
 * CompletableFuture}, so they may be called from any thread and none blocks. A child's exit is an
 * event posted to that thread. Stopping a child never blocks it either: the supervisor interrupts
 * the child, schedules its shutdown timeout, and goes on; a child that ignores the interrupt is
 * reported {@linkplain SupervisorEvent.Abandoned abandoned} when the timeout fires.
 *
 * <h2>Restart intensity</h2>
 *
 * More than {@code maxRestarts} restarts within {@code window} (defaults 3 in 5 s, as OTP) make the
 * supervisor give up: it stops all its children, reports {@link SupervisorEvent.Escalated} to its
 * listeners and refuses new children. It never throws into anyone's thread and does not touch any
 * other supervisor (unlike Horde, where one crash loop can take the node's whole instance down,
 * upstream issues #269 and #215).
 */
public final class LocalSupervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalSupervisor.class);

  private enum Status {
    RUNNING,
    ESCALATED,
    STOPPED
  }

  private final String name;
  private final String node;
  private final Map<String, ChildFactory> factories;
  private final RestartIntensity intensity;
  private final int maxChildren;
  private final BiPredicate<String, Long> currency;
  private final Mailboxes mailboxes;
  private final CheckpointStore checkpoints;
  private final SupervisorListeners listeners;
  private volatile @Nullable Thread execThread;
  private final ScheduledExecutorService exec;
  private final Map<String, SupervisedChild> children = new LinkedHashMap<>();
  private final ChildMeters meters;
  private Status status = Status.RUNNING;
  private volatile @Nullable CompletableFuture<Void> stopped;

  private LocalSupervisor(Builder b) {
    this.name = b.name;
    this.node = b.node;
    this.factories = Map.copyOf(b.factories);
    this.intensity = new RestartIntensity(b.maxRestarts, b.window, b.nanoClock);
    this.maxChildren = b.maxChildren;
    this.currency = b.currency;
    this.mailboxes = b.mailboxes;
    CheckpointStore store = b.checkpoints;
    this.checkpoints = store != null ? store : new LocalCheckpoints(b.node);
    this.listeners = new SupervisorListeners("[" + node + "] " + name, b.listeners);
    this.exec =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "flock-supervisor-" + b.name);
              t.setDaemon(true);
              execThread = t;
              return t;
            });
    this.meters = new ChildMeters(name, b.meters);
  }

  /**
   * A builder for a supervisor named {@code name}.
   *
   * @throws IllegalArgumentException if {@code name} is empty
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The supervisor's name. */
  public String name() {
    return name;
  }

  /**
   * Starts a child.
   *
   * @return its info once its thread runs; fails with {@link SupervisorException} ({@code
   *     ALREADY_STARTED}, {@code MAX_CHILDREN}, {@code UNKNOWN_FACTORY}, {@code FACTORY_FAILED},
   *     {@code STOPPED})
   */
  public CompletableFuture<ChildInfo> startChild(ChildSpec spec) {
    return startChild(spec, 1);
  }

  /** Starts a child placed with {@code generation} (the distributed supervisor's fencing token). */
  CompletableFuture<ChildInfo> startChild(ChildSpec spec, long generation) {
    requireNonNull(spec, "spec");
    return call(
        () -> {
          checkRunning();
          SupervisedChild existing = children.get(spec.id());
          if (existing != null) {
            throw new SupervisorException(
                Reason.ALREADY_STARTED, "child " + spec.id() + " already started", existing.info());
          }
          if (children.size() >= maxChildren) {
            throw new SupervisorException(
                Reason.MAX_CHILDREN, "supervisor " + name + " holds " + maxChildren + " children");
          }
          ChildFactory factory = factories.get(spec.factory());
          if (factory == null) {
            throw new SupervisorException(
                Reason.UNKNOWN_FACTORY, "no factory named '" + spec.factory() + "' on " + node);
          }
          Child child;
          try {
            child = factory.create(spec);
          } catch (RuntimeException e) {
            throw new SupervisorException(
                Reason.FACTORY_FAILED, "factory " + spec.factory() + " failed", null, e);
          }
          SupervisedChild entry = new SupervisedChild(spec, generation);
          children.put(spec.id(), entry);
          launch(entry, child);
          return entry.info();
        });
  }

  /**
   * Stops a child and forgets it.
   *
   * @return completes when the child stopped or was abandoned; fails with {@code NOT_FOUND}
   */
  public CompletableFuture<Void> terminateChild(String id) {
    requireNonNull(id, "id");
    return callThen(() -> stop(existing(id)));
  }

  /**
   * Stops a child and starts it again (next incarnation, same generation).
   *
   * @return the new incarnation's info; fails with {@code NOT_FOUND} or {@code STOPPED}
   */
  public CompletableFuture<ChildInfo> restartChild(String id) {
    requireNonNull(id, "id");
    return callThen(
        () -> {
          SupervisedChild entry = existing(id);
          return stop(entry).thenCompose(v -> call(() -> relaunch(entry)));
        });
  }

  /** Supervisor thread: the child {@code id}, or a {@code NOT_FOUND} failure. */
  private SupervisedChild existing(String id) {
    SupervisedChild entry = children.get(id);
    if (entry == null) {
      throw new SupervisorException(Reason.NOT_FOUND, "no child " + id);
    }
    return entry;
  }

  private ChildInfo relaunch(SupervisedChild old) {
    checkRunning();
    if (children.containsKey(old.spec.id())) {
      throw new SupervisorException(
          Reason.ALREADY_STARTED, "child " + old.spec.id() + " was started meanwhile");
    }
    SupervisedChild entry = new SupervisedChild(old.spec, old.generation);
    entry.incarnation = old.incarnation;
    ChildFactory factory = requireNonNull(factories.get(old.spec.factory()));
    children.put(old.spec.id(), entry);
    launch(entry, factory.create(old.spec));
    return entry.info();
  }

  /** The children, in start order. */
  public CompletableFuture<List<ChildInfo>> whichChildren() {
    return call(() -> children.values().stream().map(SupervisedChild::info).toList());
  }

  /** Counts of the children. */
  public CompletableFuture<ChildCounts> countChildren() {
    return call(
        () -> {
          int running = 0;
          for (SupervisedChild e : children.values()) {
            if (e.state == ChildState.RUNNING) {
              running++;
            }
          }
          return new ChildCounts(children.size(), running, children.size());
        });
  }

  /** Whether the supervisor escalated (gave up after too many restarts). */
  public CompletableFuture<Boolean> escalated() {
    return call(() -> status == Status.ESCALATED);
  }

  /**
   * Stops every child concurrently and then the supervisor. Completes within the longest shutdown
   * timeout of its children (unbounded for {@link Shutdown.Infinity}).
   */
  public CompletableFuture<Void> stop() {
    CompletableFuture<Void> already = stopped;
    if (already != null && exec.isShutdown()) {
      return already; // idempotent
    }
    CompletableFuture<Void> done =
        callThen(
            () -> {
              CompletableFuture<Void> s = stopped;
              if (s != null) {
                return s;
              }
              status = Status.STOPPED;
              s = stopAll();
              stopped = s;
              return s;
            });
    return done.whenComplete((v, e) -> exec.shutdown());
  }

  /**
   * {@link #stop()} and wait for it; called from a listener (the supervisor's own thread) it starts
   * the stop and returns at once, since waiting there would wait for itself.
   */
  @Override
  public void close() {
    if (exec.isShutdown()) {
      return;
    }
    CompletableFuture<Void> stopping = stop();
    if (Thread.currentThread() != execThread) {
      stopping.join();
    }
  }

  // ---- on the supervisor thread ----

  private <T> CompletableFuture<T> call(Callable<T> task) {
    return callThen(() -> CompletableFuture.completedFuture(task.call()));
  }

  /** Runs {@code task} on the supervisor thread and completes with the future it returns. */
  private <T> CompletableFuture<T> callThen(Callable<CompletableFuture<T>> task) {
    return CoreCalls.runOn(exec, task, "supervisor " + name + " has stopped");
  }

  private void post(Runnable task) {
    try {
      exec.execute(task);
    } catch (RejectedExecutionException stoppedAlready) {
      // the supervisor is gone; nothing is left to update
    }
  }

  private void checkRunning() {
    if (status != Status.RUNNING) {
      throw new SupervisorException(
          Reason.STOPPED,
          "supervisor " + name + " is " + status.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private void launch(SupervisedChild entry, Child child) {
    int incarnation = ++entry.incarnation;
    SupervisedChild.Context context =
        new SupervisedChild.Context(entry, incarnation, node, currency, mailboxes, checkpoints);
    entry.context = context;
    Thread thread =
        Thread.ofVirtual()
            .name("flock-child-" + entry.spec.id())
            .unstarted(() -> runChild(context, child));
    entry.thread = thread;
    entry.move(ChildState.RUNNING);
    meters.threadStarted();
    thread.start();
    meters.started.increment();
    log.debug(
        "[{}] {}: child {} started (incarnation {})", node, name, entry.spec.id(), incarnation);
    emit(new SupervisorEvent.Started(entry.spec.id(), incarnation, entry.generation));
  }

  private void runChild(SupervisedChild.Context context, Child child) {
    MDC.put("flock.node", node);
    MDC.put("flock.child", context.id());
    Throwable cause = null;
    try {
      child.run(context);
    } catch (Throwable t) {
      cause = t;
    } finally {
      MDC.clear();
    }
    Throwable exit = cause;
    post(() -> onExit(context, exit));
  }

  private void onExit(SupervisedChild.Context context, @Nullable Throwable cause) {
    SupervisedChild entry = context.child;
    if (entry.context != context) {
      return; // an incarnation already given up on
    }
    entry.thread = null;
    meters.threadEnded();
    if (entry.state == ChildState.STOPPING) {
      finishStop(entry, ChildState.STOPPED);
      return;
    }
    String id = entry.spec.id();
    boolean normal = cause == null;
    entry.move(normal ? ChildState.EXITED : ChildState.CRASHED);
    if (normal) {
      meters.exitedNormal.increment();
      log.debug("[{}] {}: child {} exited normally", node, name, id);
    } else {
      meters.crashed.increment();
      log.warn("[{}] {}: child {} crashed", node, name, id, cause);
    }
    emit(new SupervisorEvent.Exited(id, context.incarnation(), cause));
    if (status != Status.RUNNING || !entry.spec.restart().restartsAfter(normal)) {
      forget(id);
      return;
    }
    if (intensity.restartIsTooMany()) {
      forget(id);
      escalate();
      return;
    }
    entry.move(ChildState.RESTARTING);
    emit(new SupervisorEvent.Restarting(id, entry.incarnation + 1));
    meters.restarted.increment();
    ChildFactory factory = factories.get(entry.spec.factory());
    Child child;
    try {
      child = requireNonNull(factory).create(entry.spec);
    } catch (RuntimeException e) {
      log.warn("[{}] {}: factory failed to restart {}", node, name, id, e);
      forget(id);
      return;
    }
    entry.move(ChildState.STARTING);
    launch(entry, child);
  }

  private void escalate() {
    status = Status.ESCALATED;
    log.error(
        "[{}] {}: more than {} restarts within {}: stopping all children and giving up",
        node,
        name,
        intensity.maxRestarts(),
        intensity.window());
    emit(new SupervisorEvent.Escalated(name, intensity.recent(), intensity.window()));
    CompletableFuture<Void> unused = stopAll(); // completes as the children stop
  }

  private CompletableFuture<Void> stopAll() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (SupervisedChild entry : List.copyOf(children.values())) {
      all.add(stop(entry));
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  private CompletableFuture<Void> stop(SupervisedChild entry) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    entry.stopWaiters.add(done);
    switch (entry.state) {
      case STOPPING -> {
        return done; // already on its way
      }
      case RESTARTING -> {
        finishStop(entry, ChildState.STOPPED);
        return done;
      }
      case RUNNING, STARTING -> {}
      default -> {
        forget(entry.spec.id());
        done.complete(null);
        return done;
      }
    }
    entry.requestStop();
    switch (entry.spec.shutdown()) {
      case Shutdown.Brutal b -> {
        entry.detach();
        meters.threadEnded();
        finishStop(entry, ChildState.STOPPED);
      }
      case Shutdown.Timeout t ->
          entry.pending =
              exec.schedule(
                  () -> {
                    if (entry.state == ChildState.STOPPING) {
                      entry.detach();
                      meters.threadEnded();
                      finishStop(entry, ChildState.ABANDONED);
                    }
                  },
                  t.timeout().toNanos(),
                  TimeUnit.NANOSECONDS);
      case Shutdown.Infinity i -> {}
    }
    return done;
  }

  /** Supervisor thread: the child is gone from this supervisor (its local checkpoint with it). */
  private void forget(String id) {
    children.remove(id);
    checkpoints.removed(id);
  }

  private void finishStop(SupervisedChild entry, ChildState finalState) {
    entry.move(finalState);
    if (children.remove(entry.spec.id(), entry)) {
      checkpoints.removed(entry.spec.id());
    }
    String id = entry.spec.id();
    if (finalState == ChildState.ABANDONED) {
      meters.abandoned.increment();
      log.warn(
          "[{}] {}: child {} ignored its stop for {}; abandoning its thread",
          node,
          name,
          id,
          entry.spec.shutdown());
      emit(new SupervisorEvent.Abandoned(id, entry.incarnation));
    } else {
      emit(new SupervisorEvent.Stopped(id, entry.incarnation));
    }
    entry.stopped();
  }

  /** Reports {@code event} to the listeners on the supervisor thread, in order (any thread). */
  void publish(SupervisorEvent event) {
    try {
      exec.execute(() -> emit(event));
    } catch (RejectedExecutionException e) {
      // stopped: nobody listens any more
    }
  }

  private void emit(SupervisorEvent event) {
    listeners.tell(event);
  }

  /** Builds a {@link LocalSupervisor}; every setter validates its argument at once. */
  public static final class Builder {
    private final String name;
    private String node = "local";
    private final Map<String, ChildFactory> factories = new HashMap<>();
    private int maxRestarts = 3;
    private Duration window = Duration.ofSeconds(5);
    private int maxChildren = Integer.MAX_VALUE;
    private LongSupplier nanoClock = System::nanoTime;
    private BiPredicate<String, Long> currency = (id, generation) -> true;
    private Mailboxes mailboxes = new Mailboxes(Mailbox.DEFAULT_CAPACITY);
    private @Nullable CheckpointStore checkpoints; // null: in this JVM's memory
    private final List<SupervisorListener> listeners = new ArrayList<>();
    private MeterRegistry meters = new CompositeMeterRegistry();

    private Builder(String name) {
      requireNonNull(name, "name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("name must not be empty");
      }
      this.name = name;
    }

    /** The node name reported to children and logs (default {@code "local"}). */
    public Builder node(String node) {
      this.node = requireNonNull(node, "node");
      return this;
    }

    /**
     * Registers a factory under {@code factoryName}.
     *
     * @throws IllegalArgumentException if the name is taken
     */
    public Builder factory(String factoryName, ChildFactory factory) {
      requireNonNull(factoryName, "factoryName");
      requireNonNull(factory, "factory");
      if (factories.putIfAbsent(factoryName, factory) != null) {
        throw new IllegalArgumentException(
            "factoryName '" + factoryName + "' is already registered");
      }
      return this;
    }

    /** Registers several factories. */
    public Builder factories(Map<String, ChildFactory> all) {
      requireNonNull(all, "factories").forEach(this::factory);
      return this;
    }

    /**
     * At most {@code maxRestarts} restarts within {@code window} (default 3 in 5 s).
     *
     * @throws IllegalArgumentException if {@code maxRestarts < 0} or the window is not positive
     */
    public Builder intensity(int maxRestarts, Duration window) {
      requireNonNull(window, "window");
      if (maxRestarts < 0) {
        throw new IllegalArgumentException("maxRestarts must be >= 0, was " + maxRestarts);
      }
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("window must be positive, was " + window);
      }
      this.maxRestarts = maxRestarts;
      this.window = window;
      return this;
    }

    /**
     * The most children held at once (default unlimited).
     *
     * @throws IllegalArgumentException if {@code maxChildren < 1}
     */
    public Builder maxChildren(int maxChildren) {
      if (maxChildren < 1) {
        throw new IllegalArgumentException("maxChildren must be >= 1, was " + maxChildren);
      }
      this.maxChildren = maxChildren;
      return this;
    }

    /** The monotonic clock of the intensity window, in nanoseconds (tests inject one). */
    public Builder nanoClock(LongSupplier nanoClock) {
      this.nanoClock = requireNonNull(nanoClock, "nanoClock");
      return this;
    }

    /** Adds a listener. */
    public Builder listener(SupervisorListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    /** Where counts go (default: nowhere). */
    public Builder meters(MeterRegistry meters) {
      this.meters = requireNonNull(meters, "meters");
      return this;
    }

    /** The mailboxes a distributed supervisor's messages fill (package-private). */
    Builder mailboxes(Mailboxes boxes) {
      this.mailboxes = requireNonNull(boxes, "boxes");
      return this;
    }

    /** Whether a child (id, generation) is still current (the distributed supervisor's rule). */
    Builder currency(BiPredicate<String, Long> rule) {
      this.currency = requireNonNull(rule, "rule");
      return this;
    }

    /** Where the children's checkpoints go (the distributed supervisor's replicated store). */
    Builder checkpoints(CheckpointStore store) {
      this.checkpoints = requireNonNull(store, "store");
      return this;
    }

    /** An independent copy (the distributed supervisor adds its own listener to a copy). */
    Builder copy() {
      Builder b = new Builder(name);
      b.currency = currency;
      b.mailboxes = mailboxes;
      b.checkpoints = checkpoints;
      b.node = node;
      b.factories.putAll(factories);
      b.maxRestarts = maxRestarts;
      b.window = window;
      b.maxChildren = maxChildren;
      b.nanoClock = nanoClock;
      b.listeners.addAll(listeners);
      b.meters = meters;
      return b;
    }

    /** The names of the registered factories. */
    java.util.Set<String> factoryNames() {
      return java.util.Set.copyOf(factories.keySet());
    }

    /** The meter registry. */
    MeterRegistry meters() {
      return meters;
    }

    /** A new, running supervisor. The builder stays usable. */
    public LocalSupervisor build() {
      return new LocalSupervisor(this);
    }
  }
}
