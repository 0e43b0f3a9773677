package io.flock.membership.internal.transport;

import io.flock.membership.NodeId;

/**
 * Messages between nodes, at most once: what the membership layer needs of a network. {@link
 * NettyTransport} is the real one; tests wrap it in a decorator that drops or cuts messages (the
 * fault seam lives in test code, not here), as memberlist keeps {@code mock_transport.go} beside
 * {@code transport.go}.
 *
 * <p>Threading: every method may be called from any thread. The {@link Listener} is called on an
 * I/O thread and must not block.
 */
public interface Transport extends AutoCloseable {
  /** The name of the address-only identity used to dial a seed whose name is not known yet. */
  String ANY = "*";

  /** What the transport tells its owner. Called on an I/O thread; must not block. */
  interface Listener {
    /** An authenticated message addressed to this incarnation. */
    void onMessage(NodeId from, Object body);

    /** An authenticated connection with {@code peer} closed: a hint, not proof, of failure. */
    default void onConnectionLost(NodeId peer) {}
  }

  /** A placeholder identity for dialling {@code host:port} before its name is known. */
  static NodeId seed(String host, int port) {
    return new NodeId(ANY, host, port, 0);
  }

  /** This node's identity (with the bound port). */
  NodeId self();

  /**
   * Sends {@code body} to {@code to}, connecting first if needed.
   *
   * @return {@code false} if the message was not accepted: the peer's queue is full, its connection
   *     is above its high water mark (backpressure), or the transport is closed
   */
  boolean send(NodeId to, Object body);

  /**
   * Goes on as {@code next}, a later incarnation of this node on the same port: every connection is
   * closed and what is queued dropped; new ones carry {@code next}, and messages addressed to the
   * old incarnation are refused from now on.
   *
   * @throws IllegalArgumentException if {@code next} is not a later incarnation of this node
   */
  void reincarnate(NodeId next);

  /**
   * Dials {@code peer} afresh while the current outgoing connection to it carries on; once the new
   * connection is authenticated it takes over and the old one is closed (make before break: a
   * redial of a working connection loses nothing). Nothing happens while a dial is in progress or
   * when there is no connection to it.
   */
  void redial(NodeId peer);

  /**
   * Closes the outgoing connection to {@code peer} (and a dial in progress) and drops what is
   * queued for it; the next {@link #send} dials afresh. This node's own close is not reported as a
   * lost connection.
   */
  void disconnect(NodeId peer);

  /** Whether the outgoing connection to {@code peer} is up and below its high water mark. */
  boolean isWritable(NodeId peer);

  /**
   * Dials {@code peer}'s address without a handshake and hangs up: completes {@code true} only if
   * the connection was <em>refused</em> (nothing listens there: the process is gone), {@code false}
   * if it connected (something listens; maybe a new incarnation), timed out or failed otherwise.
   * Never completes exceptionally.
   */
  java.util.concurrent.CompletableFuture<Boolean> probeRefused(NodeId peer);

  /** Why the last attempt to reach {@code to}'s address failed, or null if it did not. */
  @org.jspecify.annotations.Nullable
  String lastFailure(NodeId to);

  /**
   * Every address {@code host} resolves to, with {@code port}, off the caller's thread (Netty's
   * asynchronous resolver: failures are not cached, answers kept at most 5 s).
   */
  java.util.concurrent.CompletableFuture<java.util.List<java.net.InetSocketAddress>> resolveAll(
      String host, int port);

  /** Stops ({@code false}) or resumes reading from every connection: inbound backpressure. */
  void reading(boolean on);

  /** Counters since start. */
  TransportStats stats();

  /** Closes every connection and releases every thread; idempotent. */
  @Override
  void close();
}
