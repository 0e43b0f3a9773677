/**
 * Flock's cluster layer: node identity, the authenticated Netty transport, membership, failure
 * detection and the gossip loop that drives the replicators.
 *
 * <p>The public API is {@link io.flock.membership.NodeId} and the cluster types; the transport,
 * codec and handshake are package-private. Nothing here accepts or returns {@code null} unless a
 * method says so.
 */
@NullMarked
package io.flock.membership;

import org.jspecify.annotations.NullMarked;
