package io.flock.supervisor;

import io.flock.crdt.Change;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.SupervisorException.Reason;
import io.flock.supervisor.SupervisorMessages.StartReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs on this node: makes the local supervisor run exactly the children placed here, driven
 * by changes only (a change costs work for its keys; nothing sweeps the whole table). Keeps the
 * placements indexed by node, so a membership change costs work for that node's children only.
 * After a child started it reports to the placement's writer, which is how a start is acknowledged.
 *
 * <p>Threading: core thread, except {@link #isCurrent} (any thread, the children's check) and
 * {@link #stopAllNow} (the lease thread).
 */
final class LocalRuns {
  private static final Logger log = LoggerFactory.getLogger(LocalRuns.class);

  /** Where a target's report goes: to the placement's writer. */
  interface Reporter {
    void report(NodeId writer, StartReport report);
  }

  private final String name;
  private NodeId self; // core thread; changes when the node rejoins as a new incarnation
  private final Scope<String, Placement> scope;
  private final LocalSupervisor local;
  private final Fence fence;
  private final Reporter reporter;
  private final Runnable onStartFailure;
  private final Executor core;
  private final ScheduledExecutorService timer;
  // child -> generation of its placement on this node; read by the children's isCurrent()
  private final Map<String, Long> current = new ConcurrentHashMap<>();
  private final Map<String, Long> running = new HashMap<>(); // child -> generation started here
  private final Map<NodeId, Set<String>> byNode = new HashMap<>();
  // Stopping here before a hand-over; read off the core by the message receiver.
  private final Set<String> moving = java.util.concurrent.ConcurrentHashMap.newKeySet();
  // stopped by the lease thread at a lapse, not yet seen by the core
  private final Queue<String> stoppedByLapse = new ConcurrentLinkedQueue<>();
  private final Map<String, Long> markers = new HashMap<>(); // terminate markers -> nanos seen
  private int live; // placements that are not markers
  private boolean fenced;
  private boolean outcast; // this incarnation is down: nothing starts until it rejoins

  LocalRuns(
      String name,
      NodeId self,
      Scope<String, Placement> scope,
      LocalSupervisor local,
      Fence fence,
      Reporter reporter,
      Runnable onStartFailure,
      Executor core,
      ScheduledExecutorService timer) {
    this.name = name;
    this.self = self;
    this.scope = scope;
    this.local = local;
    this.fence = fence;
    this.reporter = reporter;
    this.onStartFailure = onStartFailure;
    this.core = core;
    this.timer = timer;
  }

  /** Any thread: whether {@code generation} is the current placement of {@code id} here. */
  boolean isCurrent(String id, long generation) {
    return Long.valueOf(generation).equals(current.get(id));
  }

  /** The ids placed on this node now (a copy). */
  Set<String> placedHere() {
    return Set.copyOf(byNode.getOrDefault(self, Set.of()));
  }

  /** The nodes that hold placements (a copy). */
  Set<NodeId> nodes() {
    return Set.copyOf(byNode.keySet());
  }

  /** The ids placed on {@code node} (a copy). */
  List<String> placedOn(NodeId node) {
    return new ArrayList<>(byNode.getOrDefault(node, Set.of()));
  }

  /** The number of children running here now. */
  int runningCount() {
    return running.size();
  }

  /** Placement changes: index them and make this node's copies match. */
  void onChanges(List<Change<String, Placement>> changes) {
    ensureAll(); // a fence change re-checks every child here, not just the changed ones
    for (Change<String, Placement> c : changes) {
      switch (c) {
        case Change.Added<String, Placement> a -> index(a.key(), null, a.newValue());
        case Change.Updated<String, Placement> u -> index(u.key(), u.oldValue(), u.newValue());
        case Change.Removed<String, Placement> r -> index(r.key(), r.oldValue(), null);
      }
      ensure(c.key());
    }
  }

  private void index(String id, @Nullable Placement old, @Nullable Placement now) {
    if (old != null && !old.terminated()) {
      Set<String> ids = byNode.get(old.node());
      if (ids != null && ids.remove(id)) {
        live--;
        if (ids.isEmpty()) {
          byNode.remove(old.node());
        }
      }
    }
    markers.remove(id);
    if (now != null && now.terminated()) {
      markers.put(id, System.nanoTime());
    } else if (now != null && byNode.computeIfAbsent(now.node(), n -> new HashSet<>()).add(id)) {
      live++;
    }
  }

  /** The number of children placed in the cluster (terminate markers not counted). */
  int placedCount() {
    return live;
  }

  /** The ids of terminate markers seen at least {@code ageNanos} ago. */
  List<String> markersOlderThan(long ageNanos) {
    long now = System.nanoTime();
    List<String> out = new ArrayList<>();
    markers.forEach(
        (id, seen) -> {
          if (now - seen >= ageNanos) {
            out.add(id);
          }
        });
    return out;
  }

  /** Re-checks every child placed or running here (after the fence may have changed). */
  void ensureAll() {
    boolean now = fence.fencedNow();
    // What the lease thread stopped is no longer running here, whatever the core saw of the fence:
    // stopped (again: the stop may have raced a start), then placed by the rules as anything else.
    for (String id; (id = stoppedByLapse.poll()) != null; ) {
      String stopped = id;
      if (running.remove(stopped) != null) {
        CompletableFuture<?> unused =
            local.terminateChild(stopped).handle((v, e) -> null).thenRun(() -> retry(stopped, 0));
      }
    }
    if (now == fenced) {
      return;
    }
    fenced = now;
    Set<String> ids = new HashSet<>(byNode.getOrDefault(self, Set.of()));
    ids.addAll(running.keySet());
    for (String id : ids) {
      ensure(id);
    }
  }

  /**
   * Stops the copy of {@code id} here, if any, before it moves; completes on the core once it
   * stopped, and until then this node does not start it again.
   */
  CompletableFuture<Void> stopForMove(String id) {
    moving.add(id);
    running.remove(id);
    current.remove(id);
    return local
        .terminateChild(id)
        .handleAsync(
            (v, e) -> {
              moving.remove(id);
              return (Void) null;
            },
            core);
  }

  /** Whether the copy of {@code id} here is stopping before a hand-over (any thread). */
  boolean isMoving(String id) {
    return moving.contains(id);
  }

  /** Forgets what runs here (the local supervisor stopped it all). */
  void clear() {
    running.clear();
    current.clear();
  }

  /** The lease was lost: stop every child here now (any thread: the lease thread). */
  void stopAllNow() {
    for (String id : List.copyOf(current.keySet())) {
      current.remove(id);
      stoppedByLapse.add(id);
      background(local.terminateChild(id), e -> {});
    }
  }

  /**
   * This incarnation is down (core thread): stops every child here now and starts none until {@link
   * #reincarnated}; completes once all of them stopped (or were given up on).
   */
  CompletableFuture<Void> stopAllForRejoin() {
    outcast = true;
    Set<String> ids = new HashSet<>(running.keySet());
    ids.addAll(current.keySet());
    running.clear();
    current.clear();
    List<CompletableFuture<?>> stopped = new ArrayList<>();
    for (String id : ids) {
      stopped.add(local.terminateChild(id).handle((v, e) -> null));
    }
    return CompletableFuture.allOf(stopped.toArray(new CompletableFuture<?>[0]));
  }

  /** The node goes on as {@code next} (core thread): children placed on it may start again. */
  void reincarnated(NodeId next) {
    self = next;
    outcast = false;
    for (String id : placedOn(next)) {
      ensure(id);
    }
  }

  /** A local child ended for good: the core forgets it (and the caller removes the placement). */
  void ended(String id) {
    running.remove(id);
    current.remove(id);
  }

  private void ensure(String id) {
    Placement p = scope.getNow(id);
    if (p != null && p.terminated()) {
      p = null; // a terminate marker: the child is gone
    }
    Placement mine = p != null && p.node().equals(self) ? p : null;
    if (mine != null) {
      current.put(id, mine.generation());
    } else {
      current.remove(id);
    }
    if (moving.contains(id)) {
      return;
    }
    Long gen = running.get(id);
    if (mine != null && !fenced && !outcast) {
      long generation = mine.generation();
      if (gen == null) {
        running.put(id, generation);
        start(mine);
      } else if (gen != generation) {
        running.remove(id);
        // Restarts at the new generation once stopped.
        CompletableFuture<?> unused =
            local.terminateChild(id).handle((v, e) -> null).thenRun(() -> retry(id, 0));
      }
    } else if (gen != null) {
      if (p != null && !fenced) {
        log.info(
            "[{}] {}: child {} now belongs to {}; stopping it here",
            self.name(),
            name,
            id,
            p.node());
      }
      running.remove(id);
      background(local.terminateChild(id), e -> {});
    }
  }

  private void start(Placement p) {
    String id = p.spec().id();
    long generation = p.generation();
    CompletableFuture<ChildInfo> started = local.startChild(p.spec(), generation);
    CompletableFuture<?> unused =
        started.whenCompleteAsync(
            (info, error) -> {
              if (error == null) {
                reporter.report(p.by(), new StartReport(id, generation, null, ""));
                return;
              }
              Throwable cause =
                  error instanceof CompletionException && error.getCause() != null
                      ? error.getCause()
                      : error;
              Reason reason =
                  cause instanceof SupervisorException se ? se.reason() : Reason.FACTORY_FAILED;
              if (reason == Reason.ALREADY_STARTED) {
                running.remove(id, generation); // the old copy is still stopping: try again soon
                retry(id, 50);
                return;
              }
              onStartFailure.run();
              log.warn(
                  "[{}] {}: child {} (generation {}) cannot start here: {}",
                  self.name(),
                  name,
                  id,
                  generation,
                  cause.toString());
              running.remove(id, generation);
              reporter.report(
                  p.by(), new StartReport(id, generation, reason.name(), describe(cause)));
            },
            core);
  }

  private static String describe(Throwable t) {
    Throwable inner = t.getCause();
    return inner == null ? String.valueOf(t.getMessage()) : t.getMessage() + ": " + inner;
  }

  /** Runs {@link #ensure} for {@code id} on the core after {@code delayMillis}. */
  private void retry(String id, long delayMillis) {
    if (delayMillis == 0) {
      core.execute(() -> ensure(id));
    } else {
      var unused =
          timer.schedule(() -> core.execute(() -> ensure(id)), delayMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void background(CompletableFuture<?> f, Consumer<Throwable> onError) {
    CompletableFuture<?> unused =
        f.whenComplete(
            (v, error) -> {
              if (error != null) {
                log.debug(
                    "[{}] {}: local operation failed: {}", self.name(), name, error.toString());
                onError.accept(error);
              }
            });
  }
}
