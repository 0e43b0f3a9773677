package io.flock.membership.internal.node;

import io.flock.crdt.Change;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.ReplicationMessage;
import io.flock.membership.ClusterEvent;
import io.flock.membership.ClusterListener;
import io.flock.membership.ClusterSettings;
import io.flock.membership.MemberStatus;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.internal.detect.FailureDetector;
import io.flock.membership.internal.detect.HeartbeatDetector;
import io.flock.membership.internal.join.Joiner;
import io.flock.membership.internal.protocol.ClusterMessages.Heartbeat;
import io.flock.membership.internal.protocol.ClusterMessages.JoinAccepted;
import io.flock.membership.internal.protocol.ClusterMessages.JoinRequest;
import io.flock.membership.internal.protocol.ClusterMessages.MemberRecord;
import io.flock.membership.internal.protocol.ClusterMessages.MemberSet;
import io.flock.membership.internal.protocol.ClusterMessages.Scoped;
import io.flock.membership.internal.quorum.Quorum;
import io.flock.membership.internal.router.Endpoints;
import io.flock.membership.internal.router.MessageRouter;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.scope.ScopeTable;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.view.MemberView;
import io.flock.membership.internal.view.Peer;
import io.flock.membership.internal.wire.WireTypeRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The membership state machine of one node (Pekko's {@code ClusterCoreDaemon}): it wires the rooms
 * together and decides nothing they can decide alone. Inputs are messages (routed by type),
 * heartbeat ticks and changes of the member scope; outputs are heartbeats, join messages, events,
 * and the neighbour set and retirements it hands the scopes.
 *
 * <pre>
 *  Transport ──► InboundGate ──► core: heard(from) ──► MessageRouter ─┬─► Heartbeat (life only)
 *                                                                   ├─► JoinRequest / JoinAccepted
 *                                                                   ├─► Scoped ──► ScopeTable
 *                                                                   └─► Endpoint* ──► Endpoints
 *  heartbeat tick ──► FailureDetector ──► MemberView ──► events, Quorum, ScopeTable.neighbours
 *  flock.members scope changes ──► MemberView.record ──► events, retirements, Quorum
 * </pre>
 *
 * <p>Threading: core thread only, except where a method says otherwise.
 */
public final class ClusterNode {
  private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

  /** The scope of the members' own records. */
  public static final String MEMBERS = "flock.members";

  /** The scope of cluster-wide configuration (the explicit member set). */
  public static final String CONFIG = "flock.config";

  private static final String MEMBER_SET_KEY = "members";

  private final ClusterSettings settings;
  private final NodeRuntime runtime;
  private final Transport transport;
  private final NodeId self;
  private final MemberView view;
  private final FailureDetector detector;
  private final Quorum quorum;
  private final Joiner joiner;
  private final ScopeTable scopes;
  private final MessageRouter router;
  private final Endpoints endpoints;
  private final Scope<String, MemberRecord> members;
  private final Scope<String, MemberSet> config;
  private static final int INBOUND_HIGH = 20_000;
  private static final int INBOUND_LOW = 2_000;

  private final AtomicLong reachabilityChanges = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger inbound =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean readingPaused;
  private boolean joined;

  /** Wires the rooms of a node whose runtime and transport are running. */
  public ClusterNode(
      ClusterSettings settings, NodeRuntime runtime, Transport transport, WireTypeRegistry types) {
    this.settings = settings;
    this.runtime = runtime;
    this.transport = transport;
    this.self = transport.self();
    this.view = new MemberView(self);
    this.detector =
        new HeartbeatDetector(
            settings.heartbeatInterval(), settings.unreachableAfter(), settings.downAfter());
    this.quorum = new Quorum(settings.quorumSize());
    this.joiner = new Joiner(self, settings.bindHost(), settings.seeds());
    this.scopes =
        new ScopeTable(
            runtime,
            self.replicaId(),
            new Hlc(System::currentTimeMillis),
            settings.replication(),
            this::sendScoped,
            types);
    this.router = new MessageRouter(self.name());
    this.endpoints = new Endpoints(runtime, transport, types, router);
    router.register(Heartbeat.class, (from, h) -> {});
    router.register(JoinRequest.class, this::onJoinRequest);
    router.register(JoinAccepted.class, this::onJoinAccepted);
    router.register(Scoped.class, (from, s) -> scopes.receive(from, s.scope(), s.message()));
    this.members = scopes.scope(MEMBERS);
    this.config = scopes.scope(CONFIG);
    members.subscribe(this::onMemberChanges);
    config.subscribe(changes -> updateQuorum());
  }

  /** Starts the periodic tasks and the first join attempt (any thread). */
  public void start() {
    runtime.execute(
        () -> {
          writeOwnRecord(MemberStatus.JOINING);
          updateQuorum();
          joinAttempt();
        });
    runtime.every("gossip round", settings.gossipInterval(), scopes::tick);
    runtime.every("heartbeat tick", settings.heartbeatInterval(), this::heartbeatTick);
    runtime.every(
        "join attempt",
        settings.joinRetry(),
        () -> {
          if (!joined) {
            joinAttempt();
          }
        });
  }

  // ---- what the facade reads (core thread) ----

  public NodeId self() {
    return self;
  }

  public MemberView view() {
    return view;
  }

  public ScopeTable scopes() {
    return scopes;
  }

  public Endpoints endpoints() {
    return endpoints;
  }

  public MessageRouter router() {
    return router;
  }

  public boolean hasQuorum() {
    return quorum.has();
  }

  /** Reachable/unreachable changes since start (any thread). */
  public long reachabilityChanges() {
    return reachabilityChanges.get();
  }

  /** Whether {@code name} may run work under the explicit member set (if any). */
  public boolean isEligible(String name) {
    MemberSet set = config.getNow(MEMBER_SET_KEY);
    return set == null || set.names().contains(name);
  }

  /** Sets the explicit member set. */
  public void setMembers(List<String> sorted) {
    List<Change<String, MemberSet>> unused = config.putNow(MEMBER_SET_KEY, new MemberSet(sorted));
  }

  /** Writes this node's own record (LEAVING, LEFT on a graceful leave). */
  public void writeOwnRecord(MemberStatus status) {
    view.ownStatus(status);
    List<Change<String, MemberRecord>> unused =
        members.putNow(self.name(), new MemberRecord(self, status));
  }

  // ---- inputs ----

  /**
   * A message from the transport (I/O thread): hops to the core. Inbound backpressure: while more
   * than {@link #INBOUND_HIGH} messages wait for the core, the transport stops reading (TCP then
   * slows the senders), and reads again below {@link #INBOUND_LOW}.
   */
  public void onInbound(NodeId from, Object body) {
    if (inbound.incrementAndGet() > INBOUND_HIGH && !readingPaused) {
      readingPaused = true;
      transport.reading(false);
    }
    runtime.execute(
        () -> {
          if (inbound.decrementAndGet() < INBOUND_LOW && readingPaused) {
            readingPaused = false;
            transport.reading(true);
          }
          if (heard(from)) {
            router.route(from, body);
          }
        });
  }

  /** Messages received and not yet handled by the core (any thread). */
  public int inboundBacklog() {
    return inbound.get();
  }

  /** A connection closed (I/O thread): a hint, down still needs the detector's timeout. */
  public void onConnectionLost(NodeId peer) {
    runtime.execute(
        () -> {
          if (view.ownStatus() == MemberStatus.LEAVING || view.ownStatus() == MemberStatus.LEFT) {
            return; // we are the one going away
          }
          Peer p = view.get(peer.name());
          if (p != null && p.id().equals(peer)) {
            emit(view.unreachable(p));
            updateQuorum();
          }
        });
  }

  private void joinAttempt() {
    if (joiner.attempt(transport, new JoinRequest(self)) == Joiner.Attempt.ALONE) {
      becomeUp(); // first node, or alone: a cluster of one
    }
  }

  private void becomeUp() {
    joined = true;
    if (view.ownStatus() == MemberStatus.JOINING) {
      writeOwnRecord(MemberStatus.UP);
      emit(List.of(new ClusterEvent.MemberUp(self)));
    }
  }

  private void onJoinRequest(NodeId from, JoinRequest join) {
    if (join.joiner().name().equals(self.name())) {
      return;
    }
    boolean unused = heard(join.joiner());
    List<NodeId> known = new ArrayList<>();
    known.add(self);
    known.addAll(view.known());
    boolean unusedSent =
        transport.send(join.joiner(), new JoinAccepted(known.toArray(new NodeId[0])));
  }

  private void onJoinAccepted(NodeId from, JoinAccepted accepted) {
    for (NodeId m : accepted.members()) {
      if (!m.name().equals(self.name())) {
        Peer p = view.get(m.name());
        if (p == null || m.incarnation() > p.id().incarnation()) {
          addOrReplace(m);
        }
      }
    }
    becomeUp();
  }

  private void heartbeatTick() {
    long now = runtime.nanoTime();
    detector.tick(now);
    boolean changed = false;
    for (Peer p : new ArrayList<>(view.peers())) {
      if (p.recordStatus() == MemberStatus.LEFT) {
        continue;
      }
      boolean unused = transport.send(p.id(), new Heartbeat());
      switch (detector.health(p.id(), now)) {
        case ALIVE -> {}
        case UNREACHABLE -> emit(view.unreachable(p));
        case DOWN -> {
          List<ClusterEvent> events = view.down(p);
          if (!events.isEmpty()) {
            changed = true;
            // After a silent cut the old connection may be half-open for minutes: drop it so the
            // next heartbeat dials afresh (and re-resolves the name).
            transport.disconnect(p.id());
            endpoints.gone(p.id());
            emit(events);
          }
        }
      }
    }
    if (changed) {
      scopes.neighbours(view.neighbours());
    }
    updateQuorum();
  }

  /** Records life from {@code from}; false if it is an older incarnation (drop its message). */
  private boolean heard(NodeId from) {
    if (from.name().equals(Transport.ANY) || from.name().equals(self.name())) {
      return true;
    }
    Peer p = view.get(from.name());
    if (p == null || from.incarnation() > p.id().incarnation()) {
      if (view.isRetired(from)) {
        return false;
      }
      p = addOrReplace(from);
    } else if (from.incarnation() < p.id().incarnation()) {
      return false;
    }
    detector.heard(p.id(), runtime.nanoTime());
    boolean wasDown = p.down();
    emit(view.heard(p));
    if (wasDown) {
      scopes.neighbours(view.neighbours());
      updateQuorum();
    }
    return true;
  }

  private Peer addOrReplace(NodeId id) {
    NodeId old = view.addOrReplace(id);
    detector.heard(id, runtime.nanoTime());
    if (old != null) {
      log.info("[{}] {} restarted as incarnation {}", self.name(), old, id.incarnation());
      detector.forget(old);
      endpoints.gone(old);
      scopes.retire(id.name(), id.incarnation());
    }
    scopes.neighbours(view.neighbours());
    Peer p = view.get(id.name());
    if (p == null) {
      throw new IllegalStateException("peer " + id + " vanished from the view");
    }
    return p;
  }

  private void onMemberChanges(List<Change<String, MemberRecord>> changes) {
    for (Change<String, MemberRecord> c : changes) {
      MemberRecord rec =
          switch (c) {
            case Change.Added<String, MemberRecord> a -> a.newValue();
            case Change.Updated<String, MemberRecord> u -> u.newValue();
            case Change.Removed<String, MemberRecord> r -> null;
          };
      if (rec == null) {
        continue;
      }
      if (rec.id().name().equals(self.name())) {
        if (!rec.id().equals(self) && rec.id().incarnation() <= self.incarnation()) {
          writeOwnRecord(view.ownStatus()); // a record of an earlier life: ours replaces it
        }
        continue;
      }
      Peer p = view.get(rec.id().name());
      if (p == null || rec.id().incarnation() > p.id().incarnation()) {
        p = addOrReplace(rec.id());
      } else if (rec.id().incarnation() < p.id().incarnation()) {
        continue;
      }
      List<ClusterEvent> events = view.record(p, rec.status());
      if (rec.status() == MemberStatus.LEFT && view.get(p.id().name()) == null) {
        detector.forget(p.id());
        endpoints.gone(p.id());
        scopes.retire(p.id().name(), p.id().incarnation() + 1);
        transport.disconnect(p.id());
      }
      emit(events);
    }
    scopes.neighbours(view.neighbours());
    updateQuorum();
  }

  private void updateQuorum() {
    MemberSet set = config.getNow(MEMBER_SET_KEY);
    ClusterEvent e = quorum.update(view, set == null ? null : set.names());
    if (e != null) {
      emit(List.of(e));
    }
  }

  private void sendScoped(ReplicaId to, String scope, ReplicationMessage<?, ?> message) {
    Peer p = view.get(to.node());
    if (p != null && p.id().incarnation() == to.incarnation()) {
      boolean unused = transport.send(p.id(), new Scoped(scope, message));
    }
  }

  private void emit(List<ClusterEvent> events) {
    for (ClusterEvent event : events) {
      if (event instanceof ClusterEvent.Reachable || event instanceof ClusterEvent.Unreachable) {
        reachabilityChanges.incrementAndGet();
      }
      log.info("[{}] {}", self.name(), event);
      for (ClusterListener l : settings.listeners()) {
        try {
          l.onEvent(event);
        } catch (RuntimeException e) {
          log.warn("[{}] cluster listener failed on {}", self.name(), event, e);
        }
      }
    }
  }

  /** For status lines: the member record of {@code name}, or null. */
  public @Nullable MemberRecord record(String name) {
    return members.getNow(name);
  }
}
