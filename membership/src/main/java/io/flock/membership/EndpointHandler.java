package io.flock.membership;

import org.jspecify.annotations.Nullable;

/**
 * Handles the messages of one {@link Endpoint} on the node that receives them. Runs on the
 * cluster's core thread (so it may use the {@code ...Now} methods of scopes) and must be quick and
 * never block: hand long work to another executor and return a {@link
 * java.util.concurrent.CompletionStage}.
 *
 * @param <M> the message type
 */
@FunctionalInterface
public interface EndpointHandler<M> {
  /**
   * Handles one message. For a request, the result is the answer: a value of a registered type,
   * null for no content, or a {@link java.util.concurrent.CompletionStage} that completes with one.
   * For a send, the result is ignored. An exception is logged and contained; a request then fails
   * at the sender with {@link EndpointException.Outcome#FAILED}.
   */
  @Nullable Object handle(NodeId from, M message) throws Exception;
}
