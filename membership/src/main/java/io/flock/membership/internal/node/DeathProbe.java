package io.flock.membership.internal.node;

import io.flock.membership.NodeId;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.view.MemberView;
import io.flock.membership.internal.view.Peer;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certain evidence of death: a peer's connection closed and a fresh connection to the same address
 * is refused, so no process listens there any more; that incarnation is declared down at once.
 * Silence alone still takes the detector's timeout. A process that answers may be a new incarnation
 * on the same port: no evidence either way. The probe is retried twice (after 100 ms and 500 ms)
 * while the peer stays unreachable and not down. Core thread, except the probes' completions, which
 * hop back onto it.
 */
final class DeathProbe {
  private static final Logger log = LoggerFactory.getLogger(DeathProbe.class);

  private final NodeRuntime runtime;
  private final Transport transport;
  private final MemberView view;
  private final Consumer<Peer> refused;

  DeathProbe(NodeRuntime runtime, Transport transport, MemberView view, Consumer<Peer> refused) {
    this.runtime = runtime;
    this.transport = transport;
    this.view = view;
    this.refused = refused;
  }

  /** {@code peer}'s connection closed: probe its address. */
  void probe(NodeId peer) {
    probe(peer, 0);
  }

  private void probe(NodeId peer, int attempt) {
    var unused =
        transport
            .probeRefused(peer)
            .thenAccept(answer -> runtime.execute(() -> onAnswer(peer, attempt, answer)));
  }

  private void onAnswer(NodeId peer, int attempt, boolean wasRefused) {
    Peer p = view.get(peer.name());
    if (p == null || !p.id().equals(peer) || p.down() || p.reachable()) {
      return; // replaced, already down, or heard from again meanwhile
    }
    if (wasRefused) {
      log.info("[{}] {} refuses connections: its process is gone", runtime.node(), peer);
      refused.accept(p);
    } else if (attempt < 2) {
      runtime.schedule(() -> probe(peer, attempt + 1), Duration.ofMillis(attempt == 0 ? 100 : 500));
    }
  }
}
