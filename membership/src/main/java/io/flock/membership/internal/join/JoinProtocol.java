package io.flock.membership.internal.join;

import io.flock.membership.NodeId;
import io.flock.membership.internal.protocol.ClusterMessages.JoinAccepted;
import io.flock.membership.internal.protocol.ClusterMessages.JoinRequest;
import io.flock.membership.internal.protocol.ClusterMessages.NotJoined;
import io.flock.membership.internal.router.MessageRouter;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.view.MemberView;
import io.flock.membership.internal.view.Peer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The join protocol on the wire: join requests to the seeds (and, on a rejoin, to the members this
 * node knows), answers (accepted with the members this node knows, or "not joined yet"), and the
 * {@link Joiner}'s formation rule; a WARN that says why after a few attempts without success. Core
 * thread only.
 */
public final class JoinProtocol {
  private static final Logger log = LoggerFactory.getLogger(JoinProtocol.class);

  /** What joining needs from the node. */
  public interface Host {
    /** Records life from {@code id} (a joiner). */
    void heard(NodeId id);

    /** A member another node told us of. */
    void learned(NodeId member);

    /** This node is a member now (it joined or formed a cluster). */
    void becomeUp();

    /** This node formed a new cluster (called before {@link #becomeUp}). */
    default void formed() {}
  }

  private final NodeRuntime runtime;
  private final Transport transport;
  private final Joiner joiner;
  private final MemberView view;
  private final Host host;
  private boolean joined;
  private boolean resolving;

  /** Registers the join messages' rows in {@code router}. */
  public JoinProtocol(
      NodeRuntime runtime,
      Transport transport,
      Joiner joiner,
      MemberView view,
      MessageRouter router,
      Host host) {
    this.runtime = runtime;
    this.transport = transport;
    this.joiner = joiner;
    this.view = view;
    this.host = host;
    router.register(JoinRequest.class, this::onJoinRequest);
    router.register(JoinAccepted.class, this::onJoinAccepted);
    router.register(
        NotJoined.class,
        (from, n) -> joiner.notJoined(n.member(), n.mayForm(), runtime.nanoTime()));
  }

  /** Whether this node joined (or formed) a cluster. */
  public boolean joined() {
    return joined;
  }

  /** This node goes on as a new incarnation: it joins again (through the seeds). */
  public void rejoin() {
    joined = false;
    joiner.rejoin();
  }

  /** Marks this node joined and tells the host once. */
  private void up() {
    if (!joined) {
      joined = true;
    }
    host.becomeUp();
  }

  /** One join attempt, unless joined or an attempt is still resolving its seeds. */
  public void attempt() {
    if (joined || resolving) {
      return;
    }
    resolving = true;
    var unused =
        joiner
            .resolve(transport)
            .whenComplete(
                (seeds, error) ->
                    runtime.execute(
                        () -> {
                          resolving = false;
                          if (error != null) {
                            log.debug(
                                "[{}] seeds did not resolve: {}",
                                transport.self().name(),
                                error.toString());
                          }
                          decide(seeds == null ? List.of() : seeds);
                        }));
  }

  private void decide(List<InetSocketAddress> seeds) {
    if (joined) {
      return;
    }
    JoinRequest request = new JoinRequest(transport.self());
    // A node that rejoins (a new incarnation) also asks the members it knows: its seeds may have
    // moved since it first joined (a seed restarted at another address), while the members it
    // hears are a way in. A fresh node knows nobody yet.
    for (NodeId member : view.known()) {
      if (!member.name().equals(transport.self().name())) {
        boolean unused = transport.send(member, request);
      }
    }
    if (joiner.attempt(seeds, transport, request, runtime.nanoTime()) == Joiner.Decision.FORM) {
      log.info(
          "[{}] forms a new cluster ({})", transport.self().name(), joiner.describe(transport));
      host.formed();
      up();
    } else if (joiner.attempts() == 6 || joiner.attempts() % 40 == 0) {
      log.warn(
          "[{}] not joined after {} attempts: {}",
          transport.self().name(),
          joiner.attempts(),
          joiner.describe(transport));
    }
  }

  private void onJoinRequest(NodeId from, JoinRequest join) {
    if (join.joiner().name().equals(transport.self().name())) {
      return;
    }
    host.heard(join.joiner());
    if (!joined) {
      // Not part of a cluster yet: say so, so the joiner can apply the formation rule.
      boolean unused =
          transport.send(join.joiner(), new NotJoined(transport.self(), joiner.mayForm()));
      return;
    }
    List<NodeId> known = new ArrayList<>();
    known.add(transport.self());
    known.addAll(view.known());
    boolean unused = transport.send(join.joiner(), new JoinAccepted(known.toArray(new NodeId[0])));
  }

  private void onJoinAccepted(NodeId from, JoinAccepted accepted) {
    for (NodeId m : accepted.members()) {
      if (!m.name().equals(transport.self().name())) {
        Peer p = view.get(m.name());
        if (p == null || m.incarnation() > p.id().incarnation()) {
          host.learned(m);
        }
      }
    }
    up();
  }
}
