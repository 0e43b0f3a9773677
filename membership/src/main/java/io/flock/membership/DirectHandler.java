package io.flock.membership;

import org.jspecify.annotations.Nullable;

/**
 * Handles an endpoint's messages on the network thread that read them, before the hop to the node's
 * core thread, for the messages it can handle without the core: each one it returns {@link
 * #ON_CORE} for goes on to the endpoint's {@link EndpointHandler} on the core, as usual. Registered
 * with {@link Cluster#endpoint(String, Class, EndpointHandler, DirectHandler)}.
 *
 * <p>Threading: a network thread; the messages of one sending node arrive in the order sent, on one
 * thread at a time (of different senders, concurrently). It must be quick, must not block, and may
 * not use the {@code ...Now} methods of scopes (they belong to the core). Messages it handles are
 * not ordered behind those of the same sender still waiting for the core: a handler that must keep
 * one sender's order sends them all to the core while any of that sender's is on its way there. It
 * also sees messages of a sending incarnation that this node already knows ended (the core drops
 * those).
 *
 * @param <M> the message type
 */
@FunctionalInterface
public interface DirectHandler<M> {
  /** The answer that hands the message to the endpoint's handler on the core. */
  Object ON_CORE = new Object();

  /**
   * Handles one message: as {@link EndpointHandler#handle}, or returns {@link #ON_CORE}. An
   * exception is logged and contained; a request then fails at the sender with {@link
   * EndpointException.Outcome#FAILED}.
   */
  @Nullable Object handle(NodeId from, M message) throws Exception;
}
