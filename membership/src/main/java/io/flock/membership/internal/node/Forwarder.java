package io.flock.membership.internal.node;

import io.flock.membership.NodeId;
import io.flock.membership.internal.transport.Transport;
import org.jspecify.annotations.Nullable;

/**
 * The transport's listener until the node exists: the transport starts (and binds) before the node
 * can be built around its identity, so callbacks are handed over once it is attached; messages
 * before that are dropped (nobody knows this node yet).
 */
public final class Forwarder implements Transport.Listener {
  private volatile @Nullable ClusterNode node;

  /** From now on callbacks go to {@code target}. */
  public void attach(ClusterNode target) {
    this.node = target;
  }

  @Override
  public void onMessage(NodeId from, Object body) {
    ClusterNode n = node;
    if (n != null) {
      n.onInbound(from, body);
    }
  }

  @Override
  public void onConnectionLost(NodeId peer) {
    ClusterNode n = node;
    if (n != null) {
      n.onConnectionLost(peer);
    }
  }
}
