package io.flock.membership.internal.router;

import static java.util.Objects.requireNonNull;

import io.flock.membership.NodeId;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One row per message type: the type and its handler (Cassandra's {@code Verb} table). A protocol
 * adds a row; nobody edits a dispatch switch. A message of a type with no row (an authenticated
 * peer runs a protocol this node does not) is dropped and counted, with one log line per type; a
 * handler that throws is contained, logged and counted, and the next message is routed as usual.
 *
 * <p>Threading: {@link #register} from any thread before messages of that type arrive; {@link
 * #route} on the thread the handlers expect (the core).
 */
public final class MessageRouter {
  private static final Logger log = LoggerFactory.getLogger(MessageRouter.class);

  private final String node;
  private final Map<Class<?>, BiConsumer<NodeId, Object>> handlers = new ConcurrentHashMap<>();
  private final Set<Class<?>> unknownLogged = ConcurrentHashMap.newKeySet();
  private final AtomicLong unknown = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  /** A router for the node named {@code node} (for log lines). */
  public MessageRouter(String node) {
    this.node = requireNonNull(node, "node");
  }

  /**
   * Adds the row for {@code type}.
   *
   * @throws IllegalStateException if {@code type} has a handler already
   */
  public <T> void register(Class<T> type, BiConsumer<NodeId, ? super T> handler) {
    requireNonNull(type, "type");
    requireNonNull(handler, "handler");
    BiConsumer<NodeId, Object> row = (from, body) -> handler.accept(from, type.cast(body));
    if (handlers.putIfAbsent(type, row) != null) {
      throw new IllegalStateException(type.getName() + " has a handler already");
    }
  }

  /** Hands {@code body} to its type's handler. */
  public void route(NodeId from, Object body) {
    BiConsumer<NodeId, Object> handler = handlers.get(body.getClass());
    if (handler == null) {
      unknown.incrementAndGet();
      if (unknownLogged.add(body.getClass())) {
        log.warn(
            "[{}] dropping {} from {}: no handler for that type here (logged once per type)",
            node,
            body.getClass().getName(),
            from);
      }
      return;
    }
    try {
      handler.accept(from, body);
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      log.warn("[{}] handler of {} from {} failed", node, body.getClass().getSimpleName(), from, e);
    }
  }

  /** Messages dropped because no handler knew their type. */
  public long unknownCount() {
    return unknown.get();
  }

  /** Handler calls that threw. */
  public long failureCount() {
    return failures.get();
  }
}
