package io.flock.registry;

import io.flock.membership.Cluster;
import io.flock.membership.Scope;
import io.flock.registry.RegistryException.Reason;
import io.flock.registry.RegistryWire.WriteReply;
import io.flock.registry.RegistryWire.WriteRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The arbiter's side of the registry: decides each write of the names it is the arbiter of (every
 * write of one name meets on this core thread: of two registrations one wins), writes it, and
 * answers once enough members hold it (a majority in quorum mode, two otherwise, or every live
 * member if fewer). The writes waiting for their holders are in mark order, so one pass serves all
 * of them, however many; a pass runs on each of the scope's progress events (an acknowledgement)
 * and every 10 ms as a fallback.
 *
 * <p>Threading: core thread.
 */
final class RegistryArbiter {
  private final Cluster cluster;
  private final Scope<String, Registration> scope;
  private final boolean quorum;
  private final Duration callTimeout;
  private final ScheduledExecutorService timer;
  private final Supplier<RegistryException> stopped;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  // Deadlines and membership changes; acknowledgements arrive as the scope's progress events.
  private static final long FALLBACK_POLL_MILLIS = 10;

  private boolean polling;
  private boolean closed;

  /** A write waiting for its holders. */
  private record Pending(
      long mark, long deadline, Registration value, CompletableFuture<Registration> result) {}

  RegistryArbiter(
      Cluster cluster,
      Scope<String, Registration> scope,
      boolean quorum,
      Duration callTimeout,
      ScheduledExecutorService timer,
      Supplier<RegistryException> stopped) {
    this.cluster = cluster;
    this.scope = scope;
    this.quorum = quorum;
    this.callTimeout = callTimeout;
    this.timer = timer;
    this.stopped = stopped;
    scope.onProgress(this::poll); // a write is answered the moment enough members hold it
  }

  /** This node's registry closed: later writes are refused as stopped. */
  void close() {
    closed = true;
  }

  /** Decides one write, then answers once enough members hold it (or why not). */
  CompletableFuture<WriteReply> decide(WriteRequest request) {
    long deadline = System.nanoTime() + callTimeout.toNanos();
    CompletableFuture<Registration> held = new CompletableFuture<>();
    try {
      Registration done = write(request);
      pending.addLast(new Pending(scope.writeMarkNow(), deadline, done, held));
      poll();
    } catch (RegistryException e) {
      held.completeExceptionally(e);
    }
    return held.handle(
        (r, e) -> {
          if (e == null) {
            return new WriteReply(null, "", r);
          }
          Throwable cause =
              e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
          return cause instanceof RegistryException re
              ? new WriteReply(re.reason().name(), String.valueOf(re.getMessage()), re.owner())
              : new WriteReply(Reason.TIMEOUT.name(), String.valueOf(cause), null);
        });
  }

  /** Applies one write to the scope, or says why not. */
  private Registration write(WriteRequest request) {
    if (closed) {
      throw stopped.get();
    }
    if (quorum && !cluster.hasQuorumNow()) {
      throw new RegistryException(Reason.NO_QUORUM, cluster.self().name() + " has no quorum", null);
    }
    String n = request.name();
    Registration existing = scope.getNow(n);
    Registration wanted = request.wanted();
    if (request.op() == RegistryWire.REGISTER && wanted != null) {
      if (existing != null && !existing.ref().id().equals(wanted.ref().id())) {
        throw new RegistryException(
            Reason.ALREADY_REGISTERED, n + " belongs to " + existing.ref(), existing);
      }
      var unused = scope.putNow(n, wanted);
      return wanted;
    }
    if (existing == null) {
      throw new RegistryException(Reason.NOT_FOUND, "no name " + n, null);
    }
    if (request.op() == RegistryWire.PUT_META && wanted != null) {
      Registration done = new Registration(n, existing.ref(), wanted.meta());
      var unused = scope.putNow(n, done);
      return done;
    }
    var unused = scope.removeNow(n);
    return existing;
  }

  private void poll() {
    int live = cluster.liveMembersNow().size();
    int needed = quorum ? cluster.majorityNow() : Math.min(2, Math.max(1, live));
    long now = System.nanoTime();
    for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (scope.holdersNow(p.mark()) >= needed) {
        it.remove();
        p.result().complete(p.value());
      } else if (now - p.deadline() > 0) {
        it.remove();
        p.result()
            .completeExceptionally(
                new RegistryException(
                    Reason.TIMEOUT,
                    "not acknowledged by "
                        + needed
                        + " members within "
                        + callTimeout
                        + ": it may have happened",
                    null));
      } else {
        break; // later marks are not held either (and their deadlines are later)
      }
    }
    if (pending.isEmpty() || polling) {
      return;
    }
    polling = true;
    try {
      var unused =
          timer.schedule(
              () ->
                  cluster
                      .onCore()
                      .execute(
                          () -> {
                            polling = false;
                            poll();
                          }),
              FALLBACK_POLL_MILLIS,
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      polling = false;
      for (Pending p : pending) {
        p.result().completeExceptionally(stopped.get());
      }
      pending.clear();
    }
  }
}
