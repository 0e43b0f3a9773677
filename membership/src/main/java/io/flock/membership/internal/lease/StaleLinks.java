package io.flock.membership.internal.lease;

import io.flock.membership.NodeId;
import io.flock.membership.internal.transport.Transport;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redials the outgoing connection to a peer whose link looks dead, so a connection the kernel still
 * holds open after a partition heals (its close lost on the way, the far end gone, the next
 * retransmission many seconds off) does not keep the pair deaf until some timeout far above the
 * detector's. A link looks dead when the peer reports in its heartbeats that it has not
 * acknowledged this node for the lapse time (this node's messages to it are lost), or when this
 * node has not acknowledged the peer for that long (the loss may be on both connections, and a
 * fresh dial is the one repair this node can make). At most one redial per peer per {@code every};
 * the current connection carries on until the new one is authenticated, so a redial of a working
 * but slow connection costs one handshake and loses nothing. Core thread only.
 */
public final class StaleLinks {
  private static final Logger log = LoggerFactory.getLogger(StaleLinks.class);
  private static final long QUIET_LOG_NANOS = Duration.ofSeconds(30).toNanos();

  private final Transport transport;
  private final long every;
  private final Map<String, Long> lastRedial = new HashMap<>();
  private final Map<String, Long> lastLogged = new HashMap<>();

  /** Repairs over {@code transport}, at most once per peer per {@code every}. */
  public StaleLinks(Transport transport, Duration every) {
    this.transport = transport;
    this.every = every.toNanos();
  }

  /** The link to {@code peer} looks dead at {@code now} for {@code why}: redials it. */
  public void suspect(NodeId peer, String why, long now) {
    String name = peer.name();
    Long at = lastRedial.get(name);
    if (at != null && now - at < every) {
      return;
    }
    lastRedial.put(name, now);
    Long logged = lastLogged.get(name);
    if (logged == null || now - logged >= QUIET_LOG_NANOS) {
      lastLogged.put(name, now);
      log.info("[{}] link to {} looks dead ({}): redialing", transport.self().name(), peer, why);
    } else {
      log.debug("[{}] link to {} looks dead ({}): redialing", transport.self().name(), peer, why);
    }
    transport.redial(peer);
  }

  /** Forgets {@code peer} (left or replaced). */
  public void forget(String peer) {
    lastRedial.remove(peer);
    lastLogged.remove(peer);
  }
}
