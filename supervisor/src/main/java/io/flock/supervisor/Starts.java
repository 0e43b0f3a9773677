package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.Endpoint;
import io.flock.membership.EndpointException;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.SupervisorException.Reason;
import io.flock.supervisor.SupervisorMessages.StartReply;
import io.flock.supervisor.SupervisorMessages.StartReport;
import io.flock.supervisor.SupervisorMessages.StartRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * How a start is decided and acknowledged. Every start of an id goes to one <em>arbiter</em>, the
 * rendezvous choice for the id among the live members that run the supervisor, so two concurrent
 * starts of one id meet on one core thread: the first is placed, the second is told {@code
 * ALREADY_STARTED}. The arbiter checks, lets the strategy choose a target among the members that
 * have the factory, writes the placement, and answers only when the target reports the child
 * started <em>and</em> enough members hold the placement (a majority with a quorum strategy, two
 * otherwise when there are two): an acknowledged child survives the loss of the origin, the arbiter
 * or any minority. A target that cannot start it (a throwing factory) reports why; the arbiter
 * removes the placement and fails the call with that reason.
 *
 * <p>A {@code TIMEOUT} means the outcome is unknown (the child may have been placed); every other
 * failure means nothing was placed. Two arbiters exist only while two nodes' views of the members
 * differ (a membership change in flight); with a quorum strategy each reserves the id at a majority
 * first ({@link Reservations}) and at most one places it (the other's origin routes the start
 * again); with a plain strategy both may place it and the placement order keeps one.
 *
 * <p>Threading: core thread, except {@link #start} (any thread).
 */
final class Starts {
  private final Cluster cluster;
  private final String name;
  private final Scope<String, Placement> scope;
  private final Roster roster;
  private final DistributionStrategy strategy;
  private final Fence fence;
  private final Duration timeout;
  private final int maxChildren;
  private final java.util.function.IntSupplier placed;
  private final ScheduledExecutorService timer;
  private final Endpoint<StartRequest> requests;
  private final Endpoint<StartReport> reports;
  // In the order written, so in the order of their write marks and deadlines.
  private final Map<String, Pending> pending = new LinkedHashMap<>();
  // Deadlines and membership changes; acknowledgements arrive as the scope's progress events.
  private static final long FALLBACK_POLL_MILLIS = 10;

  private @Nullable ScheduledFuture<?> poll;
  private final @Nullable Reservations reservations;
  // Ids this arbiter is reserving (a second start of one is told it is being started).
  private final java.util.Set<String> reserving = new java.util.HashSet<>();

  private static final class Pending {
    final Placement placement;
    final CompletableFuture<StartReply> reply = new CompletableFuture<>();
    final long mark;
    final long deadline;
    boolean started;

    Pending(Placement placement, long mark, long deadline) {
      this.placement = placement;
      this.mark = mark;
      this.deadline = deadline;
    }
  }

  Starts(
      Cluster cluster,
      String name,
      Scope<String, Placement> scope,
      Roster roster,
      DistributionStrategy strategy,
      Fence fence,
      Duration timeout,
      int maxChildren,
      java.util.function.IntSupplier placed,
      ScheduledExecutorService timer,
      @Nullable Reservations reservations,
      BooleanSupplier stopping) {
    this.cluster = cluster;
    this.reservations = reservations;
    this.name = name;
    this.scope = scope;
    this.roster = roster;
    this.strategy = strategy;
    this.fence = fence;
    this.timeout = timeout;
    this.maxChildren = maxChildren;
    this.placed = placed;
    this.timer = timer;
    this.requests =
        cluster.endpoint(
            "supervisor." + name + ".start",
            StartRequest.class,
            (from, r) -> stopping.getAsBoolean() ? stoppedReply() : decide(r.spec()));
    this.reports =
        cluster.endpoint(
            "supervisor." + name + ".started", StartReport.class, (from, r) -> onReport(r));
    // A start completes the moment its last needed holder acknowledges; the poll is the fallback.
    scope.onProgress(this::check);
  }

  /** Core thread: {@link #start} again, completing {@code result} with its outcome. */
  private void startLater(ChildSpec spec, long waitUntil, CompletableFuture<ChildRef> result) {
    CoreCalls.pipe(start(spec, waitUntil), result);
  }

  /** The target's report goes to the placement's writer (this node: no hop). */
  void report(NodeId writer, StartReport report) {
    if (writer.equals(cluster.self())) {
      onReport(report);
    } else {
      boolean unused = reports.send(writer, report);
    }
  }

  /** The reply of an arbiter that saw a rival arbiter reserve the id: route it again. */
  private static final String CONTENDED = "CONTENDED";

  /** Core thread: sends {@code spec} to its arbiter and maps the answer. */
  CompletableFuture<ChildRef> start(ChildSpec spec) {
    return start(spec, System.nanoTime() + timeout.toNanos() / 2);
  }

  private CompletableFuture<ChildRef> start(ChildSpec spec, long waitUntil) {
    Optional<NodeId> arbiter = DistributionStrategy.Rendezvous.best(spec.id(), roster.members());
    if (arbiter.isEmpty()) {
      if (System.nanoTime() - waitUntil < 0) {
        // Often transient (this node is still joining, or the roster is on its way): wait up to
        // half the deadline, as for quorum.
        CompletableFuture<ChildRef> later = new CompletableFuture<>();
        try {
          var unused =
              timer.schedule(
                  () -> cluster.onCore().execute(() -> startLater(spec, waitUntil, later)),
                  10,
                  TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          later.completeExceptionally(
              new SupervisorException(Reason.STOPPED, "supervisor " + name + " is stopped"));
        }
        return later;
      }
      return CompletableFuture.failedFuture(
          new SupervisorException(Reason.NO_MEMBERS, "no live member runs supervisor " + name));
    }
    CompletableFuture<StartReply> reply =
        arbiter.get().equals(cluster.self())
            ? decide(spec)
            : requests.request(arbiter.get(), new StartRequest(spec), StartReply.class, timeout);
    return reply
        .handle(
            (r, error) -> {
              if (error != null) {
                throw failure(error, arbiter.get());
              }
              if (r.reason() == null && r.ref() != null) {
                return Optional.of(r.ref());
              }
              if (CONTENDED.equals(r.reason()) && System.nanoTime() - waitUntil < 0) {
                return Optional.<ChildRef>empty(); // routed again below
              }
              throw new SupervisorException(
                  r.reason() == null || CONTENDED.equals(r.reason())
                      ? Reason.TIMEOUT
                      : Reason.valueOf(r.reason()),
                  r.message(),
                  r.ref(),
                  null);
            })
        .thenCompose(
            ref ->
                ref.isPresent()
                    ? CompletableFuture.completedFuture(ref.get())
                    : again(spec, waitUntil));
  }

  /** A rival arbiter was seen: after a random pause, routes {@code spec} again (rosters settle). */
  private CompletableFuture<ChildRef> again(ChildSpec spec, long waitUntil) {
    CompletableFuture<ChildRef> out = new CompletableFuture<>();
    long pause = java.util.concurrent.ThreadLocalRandom.current().nextLong(5, 40);
    try {
      var unused =
          timer.schedule(
              () -> cluster.onCore().execute(() -> startLater(spec, waitUntil, out)),
              pause,
              TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      out.completeExceptionally(
          new SupervisorException(Reason.STOPPED, "supervisor " + name + " is stopped"));
    }
    return out;
  }

  private static SupervisorException failure(Throwable error, NodeId arbiter) {
    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
    if (cause instanceof EndpointException e) {
      return switch (e.outcome()) {
        case NOT_SENT, FAILED ->
            new SupervisorException(
                Reason.NO_MEMBERS, "arbiter " + arbiter + " not reached: not started", null, e);
        case CLOSED -> new SupervisorException(Reason.STOPPED, "this node closed", null, e);
        case TIMED_OUT, GONE ->
            new SupervisorException(
                Reason.TIMEOUT,
                "no answer from arbiter " + arbiter + ": the child may have been placed",
                null,
                e);
      };
    }
    return new SupervisorException(Reason.TIMEOUT, "start failed: " + cause, null, cause);
  }

  private static CompletableFuture<StartReply> stoppedReply() {
    return CompletableFuture.completedFuture(
        new StartReply(Reason.STOPPED.name(), "the arbiter's supervisor is stopping", null));
  }

  private static CompletableFuture<StartReply> refuse(Reason reason, String message) {
    return refuse(reason, message, null);
  }

  private static CompletableFuture<StartReply> refuse(
      Reason reason, String message, @Nullable ChildRef ref) {
    return CompletableFuture.completedFuture(new StartReply(reason.name(), message, ref));
  }

  /** Core thread, on the arbiter: decides one start. */
  private CompletableFuture<StartReply> decide(ChildSpec spec) {
    return decide(spec, System.nanoTime() + timeout.toNanos() / 2);
  }

  private static java.util.function.BiConsumer<StartReply, @Nullable Throwable> complete(
      CompletableFuture<StartReply> to) {
    return (r, e) -> {
      if (e != null) {
        to.completeExceptionally(e);
      } else {
        to.complete(r);
      }
    };
  }

  private void later(ChildSpec spec, long waitUntil, CompletableFuture<StartReply> to) {
    var unused = decide(spec, waitUntil).whenComplete(complete(to));
  }

  private CompletableFuture<StartReply> decide(ChildSpec spec, long waitUntil) {
    String id = spec.id();
    Placement existing = scope.getNow(id);
    if (existing != null && !existing.terminated()) {
      return refuse(Reason.ALREADY_STARTED, "child " + id + " already started", existing.ref());
    }
    Pending inFlight = pending.get(id);
    if (inFlight != null) {
      return refuse(
          Reason.ALREADY_STARTED, "child " + id + " is being started", inFlight.placement.ref());
    }
    if (reserving.contains(id)) {
      return refuse(Reason.ALREADY_STARTED, "child " + id + " is being started");
    }
    if (placed.getAsInt() >= maxChildren) {
      return refuse(Reason.MAX_CHILDREN, "supervisor " + name + " holds " + maxChildren);
    }
    if (strategy.requiresQuorum() && (!cluster.hasQuorumNow() || !fence.mayPlace())) {
      // Often transient (a node that just joined has no lease yet): wait up to half the deadline.
      if (System.nanoTime() - waitUntil < 0) {
        CompletableFuture<StartReply> later = new CompletableFuture<>();
        var unused =
            timer.schedule(
                () -> cluster.onCore().execute(() -> later(spec, waitUntil, later)),
                10,
                TimeUnit.MILLISECONDS);
        return later;
      }
      return refuse(Reason.NO_QUORUM, cluster.self().name() + " has no quorum (or no lease)");
    }
    List<NodeId> targets = roster.targets(spec.factory());
    if (targets.isEmpty()) {
      return roster.members().isEmpty()
          ? refuse(Reason.NO_MEMBERS, "no live member runs supervisor " + name)
          : refuse(Reason.UNKNOWN_FACTORY, "no live member has a factory '" + spec.factory() + "'");
    }
    Reservations r = reservations;
    if (r != null) {
      return reserveThenPlace(r, spec, existing, waitUntil);
    }
    return place(spec, existing, targets);
  }

  /** Reserves the id at a majority first ({@link Reservations}); backs off on a rival. */
  private CompletableFuture<StartReply> reserveThenPlace(
      Reservations r, ChildSpec spec, @Nullable Placement existing, long waitUntil) {
    String id = spec.id();
    reserving.add(id);
    CompletableFuture<StartReply> out = new CompletableFuture<>();
    var unused =
        r.reserve(id, waitUntil)
            .whenComplete(
                (mayPlace, error) -> {
                  reserving.remove(id);
                  if (Boolean.TRUE.equals(mayPlace)) {
                    Placement now = scope.getNow(id);
                    List<NodeId> targets = roster.targets(spec.factory());
                    if ((now != null && !now.terminated()) || targets.isEmpty()) {
                      r.release(id);
                      later(spec, waitUntil, out); // decides again: placed meanwhile, or no target
                    } else {
                      var unusedPlaced =
                          place(spec, now == null ? existing : now, targets)
                              .whenComplete(complete(out));
                    }
                  } else {
                    // A rival arbiter (rosters differ for a moment): the origin routes it again.
                    out.complete(new StartReply(CONTENDED, "child " + id + " contended", null));
                  }
                });
    return out;
  }

  /** Core thread: writes the placement of a fresh start and waits for it to be confirmed. */
  private CompletableFuture<StartReply> place(
      ChildSpec spec, @Nullable Placement existing, List<NodeId> targets) {
    String id = spec.id();
    Optional<NodeId> target = strategy.choose(id, targets, Load.of(strategy, scope));
    if (target.isEmpty()) {
      Reservations r = reservations;
      if (r != null) {
        r.release(id);
      }
      return refuse(Reason.NO_MEMBERS, "the strategy chose no member");
    }
    // Over a terminate marker the generation goes on growing, so the new placement beats it.
    long generation = existing == null ? 1 : existing.generation() + 1;
    Placement p = new Placement(spec, target.get(), generation, cluster.self());
    var unused = scope.putNow(id, p);
    Pending pd = new Pending(p, scope.writeMarkNow(), System.nanoTime() + timeout.toNanos());
    pending.put(id, pd);
    armPoll();
    return pd.reply;
  }

  /** Core thread: a target's report about a placement this node wrote. */
  private @Nullable Void onReport(StartReport r) {
    Pending pd = pending.get(r.id());
    if (pd == null || pd.placement.generation() != r.generation()) {
      return null; // a claim's or hand-over's start: nobody waits for it
    }
    String failure = r.failure();
    if (failure != null) {
      done(pending.remove(r.id()));
      if (pd.placement.equals(scope.getNow(r.id()))) {
        var unused = scope.putNow(r.id(), pd.placement.terminatedBy(cluster.self()));
      }
      pd.reply.complete(
          new StartReply(failure, "child " + r.id() + " cannot start: " + r.message(), null));
      return null;
    }
    pd.started = true;
    check(pd, holdersNeeded(), System.nanoTime()); // only this one: the others wait for acks
    return null;
  }

  private int holdersNeeded() {
    return strategy.requiresQuorum()
        ? cluster.majorityNow()
        : Math.min(2, Math.max(1, roster.members().size()));
  }

  /** Core thread: completes the starts that are now held by enough members; expires old ones. */
  private void check() {
    if (pending.isEmpty()) {
      return;
    }
    int needed = holdersNeeded();
    long now = System.nanoTime();
    for (Pending pd : new ArrayList<>(pending.values())) {
      if (scope.holdersNow(pd.mark) < needed && now - pd.deadline <= 0) {
        break; // every later one has a later mark (held by no more) and a later deadline
      }
      check(pd, needed, now);
    }
  }

  /** Core thread: completes {@code pd} if it is held by {@code needed} members; expires it. */
  private void check(Pending pd, int needed, long now) {
    String id = pd.placement.spec().id();
    Placement p = scope.getNow(id);
    if (p == null || p.terminated()) {
      done(pending.remove(id));
      pd.reply.complete(
          new StartReply(Reason.NOT_FOUND.name(), "child " + id + " was terminated", null));
    } else if ((pd.started || moved(pd.placement, p)) && scope.holdersNow(pd.mark) >= needed) {
      // Started on its target, or already moved on by a claim (its target could not run it:
      // the claimer's target reports to the claimer); either way the spec is held and runs.
      done(pending.remove(id));
      pd.reply.complete(new StartReply(null, "", p.ref()));
    } else if (now - pd.deadline > 0) {
      done(pending.remove(id)); // the origin's request timed out already: the outcome is unknown
      pd.reply.complete(
          new StartReply(Reason.TIMEOUT.name(), "child " + id + " not confirmed in time", p.ref()));
    }
  }

  /** A start is no longer pending: its reservation goes once its placement is held. */
  private void done(@Nullable Pending pd) {
    Reservations r = reservations;
    if (r != null && pd != null) {
      r.releaseWhenHeld(pd.placement.spec().id(), pd.mark);
    }
  }

  /** Whether {@code now} is {@code placed} moved on by a claim or hand-over (same child, newer). */
  private static boolean moved(Placement placed, Placement now) {
    return now.generation() > placed.generation() && now.spec().equals(placed.spec());
  }

  private void armPoll() {
    if (poll == null || poll.isDone()) {
      poll =
          timer.scheduleWithFixedDelay(
              () ->
                  cluster
                      .onCore()
                      .execute(
                          () -> {
                            check();
                            if (pending.isEmpty() && poll != null) {
                              poll.cancel(false);
                            }
                          }),
              FALLBACK_POLL_MILLIS,
              FALLBACK_POLL_MILLIS,
              TimeUnit.MILLISECONDS);
    }
  }

  /** Frees the endpoints (a supervisor of this name may start on this node again). */
  void close() {
    requests.close();
    reports.close();
  }

  /** Core thread: fails every start in flight (the supervisor stops). */
  void failAll() {
    for (Pending pd : pending.values()) {
      pd.reply.complete(stoppedReply().join());
      done(pd);
    }
    pending.clear();
    Reservations r = reservations;
    if (r != null) {
      r.failAll();
    }
  }
}
