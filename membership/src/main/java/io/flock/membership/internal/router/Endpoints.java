package io.flock.membership.internal.router;

import static java.util.Objects.requireNonNull;

import io.flock.membership.DirectHandler;
import io.flock.membership.Endpoint;
import io.flock.membership.EndpointException;
import io.flock.membership.EndpointException.Outcome;
import io.flock.membership.EndpointHandler;
import io.flock.membership.NodeId;
import io.flock.membership.internal.protocol.ClusterMessages.EmptyReply;
import io.flock.membership.internal.protocol.ClusterMessages.EndpointMessage;
import io.flock.membership.internal.protocol.ClusterMessages.FailedReply;
import io.flock.membership.internal.protocol.ClusterMessages.Reply;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.wire.WireTypeRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The table of named {@link Endpoint}s of a node, and the requests it is waiting on. Requests are
 * correlated by a per-node id; each one completes by its deadline (at most two sweeps of {@link
 * RequestDeadlines}, 40 ms, after it, on a thread that does not depend on the core), and fails at
 * once with {@link Outcome#GONE} when the membership layer learns that its target incarnation
 * ended.
 *
 * <p>Threading: {@link #register} and the endpoints' methods from any thread; handlers run on the
 * core thread (the router's), direct handlers on the network thread that read the message.
 */
public final class Endpoints {
  private static final Logger log = LoggerFactory.getLogger(Endpoints.class);

  private record Row<M>(
      String name, Class<M> type, EndpointHandler<M> handler, @Nullable DirectHandler<M> direct) {}

  /** A request waiting for its answer; {@code direct}: answered on the I/O thread that read it. */
  private final class Pending implements RequestDeadlines.Waiting {
    final long id;
    final NodeId to;
    final Class<?> replyType;
    final CompletableFuture<Object> result = new CompletableFuture<>();
    final boolean direct;
    final long deadline;
    final Duration timeout;

    Pending(long id, NodeId to, Class<?> replyType, boolean direct, Duration timeout) {
      this.id = id;
      this.to = to;
      this.replyType = replyType;
      this.direct = direct;
      this.timeout = timeout;
      this.deadline = System.nanoTime() + timeout.toNanos();
    }

    @Override
    public long deadline() {
      return deadline;
    }

    @Override
    public boolean ended() {
      return result.isDone();
    }

    @Override
    public void expire() {
      if (pending.remove(id, this)) {
        result.completeExceptionally(
            new EndpointException(
                Outcome.TIMED_OUT, "no answer from " + to + " within " + timeout));
      }
    }
  }

  private final NodeRuntime runtime;
  private final Transport transport;
  private final WireTypeRegistry types;
  private final Map<String, Row<?>> rows = new ConcurrentHashMap<>();
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong unknown = new AtomicLong();
  private final RequestDeadlines deadlines = new RequestDeadlines();

  /** Registers the endpoint protocol's rows in {@code router}. */
  public Endpoints(
      NodeRuntime runtime, Transport transport, WireTypeRegistry types, MessageRouter router) {
    this.runtime = runtime;
    this.transport = transport;
    this.types = types;
    router.register(EndpointMessage.class, this::onMessage);
    router.register(Reply.class, (from, r) -> answer(from, r.requestId(), r.body(), null));
    router.register(EmptyReply.class, (from, r) -> answer(from, r.requestId(), null, null));
    router.register(FailedReply.class, (from, r) -> answer(from, r.requestId(), null, r.reason()));
  }

  /**
   * Adds the endpoint {@code name}; {@code direct}, if given, sees its messages first, on the
   * network thread ({@link #handleDirect}).
   *
   * @throws IllegalArgumentException if {@code name} is blank or taken
   */
  public <M> Endpoint<M> register(
      String name, Class<M> type, EndpointHandler<M> handler, @Nullable DirectHandler<M> direct) {
    requireNonNull(name, "name");
    requireNonNull(type, "type");
    requireNonNull(handler, "handler");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank");
    }
    if (rows.putIfAbsent(name, new Row<>(name, type, handler, direct)) != null) {
      throw new IllegalArgumentException("endpoint '" + name + "' is registered already");
    }
    return new EndpointImpl<>(name);
  }

  /** Messages for endpoints this node does not have. */
  public long unknownCount() {
    return unknown.get();
  }

  /** {@code gone} ended: every request to it fails with {@link Outcome#GONE}. */
  public void gone(NodeId gone) {
    for (Map.Entry<Long, Pending> e : List.copyOf(pending.entrySet())) {
      if (e.getValue().to.equals(gone) && pending.remove(e.getKey(), e.getValue())) {
        e.getValue()
            .result
            .completeExceptionally(new EndpointException(Outcome.GONE, gone + " is gone"));
      }
    }
  }

  /** The node closed: every waiting request fails with {@link Outcome#CLOSED}. */
  public void close() {
    for (Long id : List.copyOf(pending.keySet())) {
      Pending p = pending.remove(id);
      if (p != null) {
        p.result.completeExceptionally(
            new EndpointException(Outcome.CLOSED, "this node closed before " + p.to + " answered"));
      }
    }
  }

  private void onMessage(NodeId from, EndpointMessage m) {
    Row<?> row = rows.get(m.endpoint());
    if (row == null) {
      unknown.incrementAndGet();
      reply(
          from,
          m.requestId(),
          null,
          "no endpoint '" + m.endpoint() + "' on " + transport.self().name());
      return;
    }
    handle(row, from, m);
  }

  /**
   * I/O thread: lets the direct handler of {@code body}'s endpoint handle it, if it has one.
   *
   * @return false if the message is not for such an endpoint, or its direct handler passed it on
   *     (route it as usual)
   */
  public boolean handleDirect(NodeId from, Object body) {
    if (!(body instanceof EndpointMessage m)) {
      return false;
    }
    Row<?> row = rows.get(m.endpoint());
    return row != null && row.direct() != null && handleDirect(row, from, m);
  }

  private <M> boolean handleDirect(Row<M> row, NodeId from, EndpointMessage m) {
    DirectHandler<M> direct = row.direct();
    if (direct == null || !row.type().isInstance(m.body())) {
      return false; // the core answers a wrong type
    }
    Object result;
    try {
      result = direct.handle(from, row.type().cast(m.body()));
    } catch (Exception e) {
      failed(row, from, m, e);
      return true;
    }
    if (result == DirectHandler.ON_CORE) {
      return false;
    }
    respond(from, m, result);
    return true;
  }

  private <M> void handle(Row<M> row, NodeId from, EndpointMessage m) {
    if (!row.type().isInstance(m.body())) {
      reply(
          from,
          m.requestId(),
          null,
          "endpoint '" + row.name() + "' takes " + row.type().getSimpleName());
      return;
    }
    Object result;
    try {
      result = row.handler().handle(from, row.type().cast(m.body()));
    } catch (Exception e) {
      failed(row, from, m, e);
      return;
    }
    respond(from, m, result);
  }

  private void failed(Row<?> row, NodeId from, EndpointMessage m, Exception e) {
    log.warn(
        "[{}] handler of endpoint {} failed on a message from {}",
        runtime.node(),
        row.name(),
        from,
        e);
    reply(from, m.requestId(), null, "handler failed: " + e);
  }

  private void respond(NodeId from, EndpointMessage m, @Nullable Object result) {
    if (m.requestId() == 0) {
      return;
    }
    if (result instanceof CompletionStage<?> stage) {
      stage.whenComplete(
          (value, error) ->
              reply(from, m.requestId(), value, error == null ? null : "handler failed: " + error));
    } else {
      reply(from, m.requestId(), result, null);
    }
  }

  private void reply(NodeId to, long requestId, @Nullable Object value, @Nullable String error) {
    if (requestId == 0) {
      return;
    }
    Object answer;
    if (error != null) {
      answer = new FailedReply(requestId, error);
    } else if (value == null) {
      answer = new EmptyReply(requestId);
    } else {
      try {
        int unused = types.check(value, "reply");
        answer = new Reply(requestId, value);
      } catch (IllegalArgumentException e) {
        answer = new FailedReply(requestId, String.valueOf(e.getMessage()));
      }
    }
    boolean unused = transport.send(to, answer);
  }

  /**
   * I/O thread: answers a request made with {@link Endpoint#requestDirect} from {@code reply} (a
   * reply message) at once, without the hop to the core.
   *
   * @return false if {@code reply} is not an answer to such a request (route it as usual)
   */
  public boolean answerDirect(NodeId from, Object reply) {
    long id;
    if (reply instanceof Reply r) {
      id = r.requestId();
    } else if (reply instanceof EmptyReply r) {
      id = r.requestId();
    } else if (reply instanceof FailedReply r) {
      id = r.requestId();
    } else {
      return false;
    }
    Pending p = pending.get(id);
    if (p == null || !p.direct) {
      return false;
    }
    switch (reply) {
      case Reply r -> answer(from, id, r.body(), null);
      case FailedReply r -> answer(from, id, null, r.reason());
      default -> answer(from, id, null, null);
    }
    return true;
  }

  private void answer(NodeId from, long requestId, @Nullable Object body, @Nullable String error) {
    Pending p = pending.get(requestId);
    if (p == null || !p.to.equals(from) || !pending.remove(requestId, p)) {
      return; // late (timed out), or not from whom we asked
    }
    if (error != null) {
      p.result.completeExceptionally(new EndpointException(Outcome.FAILED, error));
    } else if (body != null && !p.replyType.isInstance(body)) {
      p.result.completeExceptionally(
          new EndpointException(
              Outcome.FAILED,
              "answer is a " + body.getClass().getName() + ", not a " + p.replyType.getName()));
    } else {
      p.result.complete(body);
    }
  }

  private final class EndpointImpl<M> implements Endpoint<M> {
    private final String name;

    EndpointImpl(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void close() {
      rows.remove(name);
    }

    @Override
    public boolean send(NodeId to, M message) {
      requireNonNull(to, "to");
      int unused = types.check(message, "message");
      return !runtime.isClosed() && transport.send(to, new EndpointMessage(name, 0, message));
    }

    @Override
    public <R> CompletableFuture<R> request(
        NodeId to, M message, Class<R> replyType, Duration deadline) {
      return request(to, message, replyType, deadline, false);
    }

    @Override
    public <R> CompletableFuture<R> requestDirect(
        NodeId to, M message, Class<R> replyType, Duration deadline) {
      return request(to, message, replyType, deadline, true);
    }

    @SuppressWarnings("unchecked")
    private <R> CompletableFuture<R> request(
        NodeId to, M message, Class<R> replyType, Duration deadline, boolean direct) {
      requireNonNull(to, "to");
      requireNonNull(replyType, "replyType");
      requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be positive, was " + deadline);
      }
      int unused = types.check(message, "message");
      if (runtime.isClosed()) {
        return (CompletableFuture<R>)
            CompletableFuture.failedFuture(
                new EndpointException(Outcome.NOT_SENT, "this node is closed"));
      }
      long id = ids.incrementAndGet();
      Pending p = new Pending(id, to, replyType, direct, deadline);
      pending.put(id, p);
      deadlines.add(deadline, p);
      if (!transport.send(to, new EndpointMessage(name, id, message)) && pending.remove(id, p)) {
        p.result.completeExceptionally(
            new EndpointException(Outcome.NOT_SENT, "the transport refused the message to " + to));
      }
      CompletableFuture<Object> result = p.result;
      return (CompletableFuture<R>) result;
    }
  }
}
