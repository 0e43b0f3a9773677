package io.flock.membership;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A typed point-to-point protocol between nodes, registered with {@link Cluster#endpoint}: the way
 * an upper layer (messaging, a registry, a singleton's hand-over) or an application sends its own
 * messages to one node. Delivery is at most once; a message for an older incarnation of the target
 * is dropped (address the {@link NodeId} you mean).
 *
 * <p>Threading: every method may be called from any thread and never blocks.
 *
 * <pre>{@code
 * Endpoint<Ping> pings = cluster.endpoint("app.ping", Ping.class, (from, ping) -> new Pong(ping.n()));
 * Pong pong = pings.request(peer, new Ping(1), Pong.class, Duration.ofSeconds(1)).join();
 * }</pre>
 *
 * @param <M> the message type (registered in the cluster's {@link WireTypes})
 */
public interface Endpoint<M> {
  /** The endpoint's name, the same on every node. */
  String name();

  /**
   * Sends {@code message} to {@code to} without waiting for an answer.
   *
   * @return whether the transport accepted it (false: closed, queue full, or backpressure)
   * @throws IllegalArgumentException if the message cannot be encoded (an unregistered type)
   */
  boolean send(NodeId to, M message);

  /**
   * Sends {@code message} to {@code to} and completes with the handler's answer, always by {@code
   * deadline} (deadlines are swept every 20 ms, so a timeout ends up to 40 ms after it): with the
   * answer (null when the handler returned null), or with an {@link EndpointException} that says
   * what happened (timed out, the target is gone, the target refused or failed, not sent). The
   * future completes on the node's core thread, or (timed out) on Flock's deadline thread: give
   * slow dependent work an executor ({@code thenApplyAsync}).
   *
   * @throws IllegalArgumentException if the message cannot be encoded, or {@code deadline} is not
   *     positive
   */
  <R> CompletableFuture<R> request(NodeId to, M message, Class<R> replyType, Duration deadline);

  /**
   * As {@link #request}, for a caller that waits for the answer itself: the future completes on the
   * network thread that read the answer, as soon as it is read, so actions that depend on it run
   * there and must be quick and must not block; and the answer is not ordered behind the messages
   * {@code to} sent before it (a {@link #request}'s answer is handled after them, on the node's
   * core thread, in the order they arrived).
   *
   * @throws IllegalArgumentException as {@link #request}
   */
  <R> CompletableFuture<R> requestDirect(
      NodeId to, M message, Class<R> replyType, Duration deadline);

  /**
   * Unregisters this endpoint on this node (its name is free again); messages for it are then
   * counted as unknown, and requests to it fail at their senders. Idempotent.
   */
  void close();
}
