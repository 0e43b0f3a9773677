package io.flock.registry;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.Endpoint;
import io.flock.membership.EndpointException;
import io.flock.membership.NodeId;
import io.flock.registry.RegistryException.Reason;
import io.flock.registry.RegistryWire.WriteBatch;
import io.flock.registry.RegistryWire.WriteReplies;
import io.flock.registry.RegistryWire.WriteReply;
import io.flock.registry.RegistryWire.WriteRequest;
import io.flock.supervisor.DistributionStrategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The registering node's side of the registry: sends each write to its name's arbiter (rendezvous
 * over the live members; this node when it is alone or still joining) and completes the caller's
 * future once the arbiter answered and this node's replica shows the write (read-your-writes), or
 * by the deadline. The writes of one burst (every call made before the core next ran) go to each
 * arbiter as one {@link WriteBatch} with one {@link WriteReplies} answer: a request each costs an
 * encode, a frame and a hop each way; a batch shares them. A write whose arbiter went away is asked
 * again of the next one (unregister excepted: it is not idempotent). A replica that lags is waited
 * for by its changes, not by polling.
 *
 * <p>Threading: {@link #route} and {@link #close} any thread; the rest core thread.
 */
final class RegistryCalls {
  private final Cluster cluster;
  private final Endpoint<WriteBatch> writes;
  private final RegistryArbiter arbiter;
  private final Names names;
  private final ScheduledExecutorService timer;
  private final Duration callTimeout;
  private final Supplier<RegistryException> stopped;
  private final long maxBytes;
  private final Map<Long, CompletableFuture<Registration>> inFlight = new ConcurrentHashMap<>();
  private final AtomicLong callIds = new AtomicLong();
  private final ConcurrentLinkedQueue<Call> submitted = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final Map<String, List<Waiter>> waiters = new HashMap<>(); // core
  private volatile boolean closed;

  /** One caller's write. */
  private record Call(
      WriteRequest request, long deadline, CompletableFuture<Registration> result) {}

  /** A call the arbiter answered, waiting for this replica to show {@code done}. */
  private static final class Waiter {
    final boolean gone;
    final Registration done;
    final Call call;
    @Nullable ScheduledFuture<?> expiry; // cancelled once shown: no timer outlives its call

    Waiter(boolean gone, Registration done, Call call) {
      this.gone = gone;
      this.done = done;
      this.call = call;
    }

    void complete() {
      call.result().complete(done);
      ScheduledFuture<?> e = expiry;
      if (e != null) {
        e.cancel(false);
      }
    }
  }

  /** The writes for one arbiter in this burst. */
  private static final class Batch {
    final List<Call> calls = new ArrayList<>();
    long bytes;
    long deadline;
  }

  RegistryCalls(
      Cluster cluster,
      Endpoint<WriteBatch> writes,
      RegistryArbiter arbiter,
      Names names,
      ScheduledExecutorService timer,
      Duration callTimeout,
      Supplier<RegistryException> stopped) {
    this.cluster = cluster;
    this.writes = writes;
    this.arbiter = arbiter;
    this.names = names;
    this.timer = timer;
    this.callTimeout = callTimeout;
    this.stopped = stopped;
    this.maxBytes = Math.min(256 * 1024, cluster.settings().maxValueBytes() / 2);
  }

  /** Any thread: sends {@code request} on its way; the future ends with its outcome. */
  CompletableFuture<Registration> route(WriteRequest request) {
    CompletableFuture<Registration> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(stopped.get());
      return result;
    }
    long id = callIds.incrementAndGet();
    inFlight.put(id, result);
    var unused = result.whenComplete((r, e) -> inFlight.remove(id));
    submit(new Call(request, System.nanoTime() + callTimeout.toNanos(), result));
    if (closed) {
      result.completeExceptionally(stopped.get()); // closed meanwhile: close() may have missed it
    }
    return result;
  }

  /** Any thread: every call in flight ends with {@code STOPPED}. */
  void close() {
    closed = true;
    for (CompletableFuture<Registration> call : List.copyOf(inFlight.values())) {
      call.completeExceptionally(stopped.get());
    }
  }

  /** Core: the replica changed; the calls waiting to see these names look again. */
  void changed(List<Change<String, Registration>> changes) {
    if (waiters.isEmpty()) {
      return;
    }
    for (Change<String, Registration> c : changes) {
      List<Waiter> w = waiters.remove(c.key());
      if (w != null) {
        w.forEach(this::awaitLocal);
      }
    }
  }

  private void submit(Call call) {
    submitted.add(call);
    if (drainScheduled.compareAndSet(false, true)) {
      try {
        cluster.onCore().execute(this::drain);
      } catch (RejectedExecutionException closing) {
        drainScheduled.set(false);
        call.result().completeExceptionally(stopped.get());
      }
    }
  }

  /** Core: routes every call submitted so far; one batch per arbiter. */
  private void drain() {
    drainScheduled.set(false);
    List<NodeId> live = cluster.liveMembersNow();
    NodeId self = cluster.self();
    Map<NodeId, Batch> open = new LinkedHashMap<>();
    for (Call c; (c = submitted.poll()) != null; ) {
      if (c.result().isDone()) {
        continue;
      }
      Optional<NodeId> to = DistributionStrategy.Rendezvous.best(c.request().name(), live);
      if (to.isEmpty() || to.get().equals(self)) {
        Call call = c;
        var unused = arbiter.decide(c.request()).whenComplete((r, e) -> answered(call, r, e));
        continue;
      }
      Batch b = open.computeIfAbsent(to.get(), n -> new Batch());
      b.calls.add(c);
      b.bytes += size(c.request());
      b.deadline = Math.max(b.deadline, c.deadline());
      if (b.calls.size() >= RegistryWire.MAX_BATCH || b.bytes >= maxBytes) {
        open.remove(to.get());
        send(to.get(), b);
      }
    }
    open.forEach(this::send);
  }

  private static long size(WriteRequest r) {
    long bytes = 64L + r.name().length();
    Registration w = r.wanted();
    if (w != null) {
      bytes += w.ref().id().length();
      for (Map.Entry<String, String> e : w.meta().entrySet()) {
        bytes += e.getKey().length() + e.getValue().length() + 4L;
      }
    }
    return bytes;
  }

  private void send(NodeId to, Batch b) {
    List<WriteRequest> requests = new ArrayList<>(b.calls.size());
    b.calls.forEach(c -> requests.add(c.request()));
    CompletableFuture<WriteReplies> f;
    try {
      f =
          writes.request(
              to,
              new WriteBatch(List.copyOf(requests)),
              WriteReplies.class,
              Duration.ofNanos(Math.max(1_000_000, b.deadline - System.nanoTime())));
    } catch (IllegalArgumentException tooLarge) {
      b.calls.forEach(c -> c.result().completeExceptionally(tooLarge));
      return;
    }
    var unused =
        f.whenCompleteAsync(
            (replies, e) -> {
              Throwable error = e;
              if (error == null
                  && (replies == null || replies.replies().size() != requests.size())) {
                error = new IllegalStateException("malformed registry replies from " + to);
              }
              for (int i = 0; i < b.calls.size(); i++) {
                answered(
                    b.calls.get(i),
                    error == null && replies != null ? replies.replies().get(i) : null,
                    error);
              }
            },
            cluster.onCore());
  }

  /** Core, on the arbiter: the endpoint's handler for a batch (answers when every write did). */
  CompletableFuture<WriteReplies> onBatch(WriteBatch batch) {
    List<CompletableFuture<WriteReply>> each = new ArrayList<>(batch.writes().size());
    for (WriteRequest w : batch.writes()) {
      each.add(arbiter.decide(w));
    }
    return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              List<WriteReply> out = new ArrayList<>(each.size());
              each.forEach(f -> out.add(f.join()));
              return new WriteReplies(List.copyOf(out));
            });
  }

  private void answered(Call call, @Nullable WriteReply reply, @Nullable Throwable error) {
    WriteRequest request = call.request();
    if (error != null || reply == null) {
      Throwable cause =
          error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
      EndpointException.Outcome outcome =
          cause instanceof EndpointException ee ? ee.outcome() : EndpointException.Outcome.FAILED;
      boolean closedHere = outcome == EndpointException.Outcome.CLOSED;
      if (request.op() != RegistryWire.UNREGISTER // the others are idempotent: ask again
          && outcome != EndpointException.Outcome.TIMED_OUT
          && !closedHere
          && !closed
          && System.nanoTime() - call.deadline() < 0) {
        try {
          var unused = timer.schedule(() -> submit(call), 20, TimeUnit.MILLISECONDS);
          return; // the arbiter went away (or was not there yet): the next one decides
        } catch (RejectedExecutionException stopping) {
          // closed meanwhile: fall through
        }
      }
      call.result()
          .completeExceptionally(
              closedHere
                  ? stopped.get()
                  : new RegistryException(
                      Reason.TIMEOUT,
                      "no answer from the arbiter of "
                          + request.name()
                          + ": it may have happened ("
                          + cause
                          + ")",
                      null));
      return;
    }
    String reason = reply.reason();
    Registration done = reply.registration();
    if (reason != null || done == null) {
      call.result()
          .completeExceptionally(
              new RegistryException(
                  reason == null ? Reason.TIMEOUT : Reason.valueOf(reason),
                  reply.message(),
                  reply.registration()));
      return;
    }
    Waiter w = new Waiter(request.op() == RegistryWire.UNREGISTER, done, call);
    if (!awaitLocal(w)) {
      try {
        w.expiry =
            timer.schedule(
                () -> cluster.onCore().execute(() -> expire(w)),
                Math.max(0, call.deadline() - System.nanoTime()),
                TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closing) {
        call.result().complete(done);
      }
    }
  }

  /** Core: the deadline passed with this replica still behind: the arbiter's answer stands. */
  private void expire(Waiter w) {
    w.complete();
    List<Waiter> left = waiters.get(w.done.name());
    if (left != null && left.remove(w) && left.isEmpty()) {
      waiters.remove(w.done.name());
    }
  }

  /** Core: completes the call if this replica shows its write, else waits for a change. */
  private boolean awaitLocal(Waiter w) {
    if (w.call.result().isDone()) {
      w.complete(); // cancels its expiry
      return true;
    }
    Registration here = names.get(w.done.name());
    boolean shown = w.gone ? !w.done.equals(here) : w.done.equals(here);
    if (shown || closed) {
      w.complete();
      return true;
    }
    waiters.computeIfAbsent(w.done.name(), n -> new ArrayList<>(1)).add(w);
    return false;
  }
}
