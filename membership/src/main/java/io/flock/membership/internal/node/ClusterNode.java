package io.flock.membership.internal.node;

import io.flock.crdt.Change;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.ReplicationMessage;
import io.flock.membership.ClusterEvent;
import io.flock.membership.ClusterSettings;
import io.flock.membership.MemberStatus;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.internal.detect.FailureDetector;
import io.flock.membership.internal.detect.HeartbeatDetector;
import io.flock.membership.internal.join.JoinProtocol;
import io.flock.membership.internal.join.Joiner;
import io.flock.membership.internal.lease.LeaseProtocol;
import io.flock.membership.internal.protocol.ClusterMessages.Heartbeat;
import io.flock.membership.internal.protocol.ClusterMessages.MemberRecord;
import io.flock.membership.internal.protocol.ClusterMessages.MemberSet;
import io.flock.membership.internal.protocol.ClusterMessages.Removed;
import io.flock.membership.internal.protocol.ClusterMessages.Scoped;
import io.flock.membership.internal.protocol.ClusterMessages.YouAreDown;
import io.flock.membership.internal.quorum.Quorum;
import io.flock.membership.internal.removal.Removals;
import io.flock.membership.internal.router.Endpoints;
import io.flock.membership.internal.router.MessageRouter;
import io.flock.membership.internal.runtime.InboundGate;
import io.flock.membership.internal.runtime.NodeRuntime;
import io.flock.membership.internal.scope.ScopeTable;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.view.MemberView;
import io.flock.membership.internal.view.Peer;
import io.flock.membership.internal.wire.WireTypeRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
  // The core's inbound backlog: stop reading from the network above it, resume below.
  private static final int INBOUND_PAUSE_ABOVE = 20_000;
  private static final int INBOUND_RESUME_BELOW = 2_000;

  private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

  /** The scope of the members' own records. */
  public static final String MEMBERS = "flock.members";

  /** The scope of cluster-wide configuration (the explicit member set). */
  public static final String CONFIG = "flock.config";

  /** The scope of removed incarnations (name → highest removed incarnation). */
  public static final String REMOVED = "flock.removed";

  private static final String MEMBER_SET_KEY = "members";

  private final ClusterSettings settings;
  private final NodeRuntime runtime;
  private final Transport transport;
  private volatile NodeId self; // changes only when this node rejoins as a new incarnation
  private final MemberView view;
  private final FailureDetector detector;
  private final Quorum quorum;
  private final JoinProtocol join;
  private final ScopeTable scopes;
  private final MessageRouter router;
  private final Endpoints endpoints;
  private final LeaseProtocol lease;
  private final DeathProbe deathProbe;
  private final Removals removals;
  private final Quarantine quarantine = new Quarantine();
  private boolean outcast; // told it is down or removed: no lease until it rejoins as a new one
  private final Scope<String, MemberRecord> members;
  private final Scope<String, MemberSet> config;
  private final EventBus bus;
  private final InboundGate gate;
  private final java.util.function.Supplier<CompletableFuture<Void>> stopWork;
  private final Lives lives;

  /**
   * Wires the rooms of a node whose runtime and transport are running.
   *
   * @param stopWork stops the work above this node when its incarnation is down (core thread); the
   *     node rejoins as a new incarnation once it completed
   * @param unreadLogs the durable scopes whose logs are on this node's disk (see {@link
   *     ScopeTable})
   */
  public ClusterNode(
      ClusterSettings settings,
      NodeRuntime runtime,
      Transport transport,
      WireTypeRegistry types,
      java.util.function.Supplier<CompletableFuture<Void>> stopWork,
      io.flock.membership.storage.@Nullable StorageLog membershipLog,
      java.util.Set<String> unreadLogs) {
    this.stopWork = stopWork;
    this.settings = settings;
    this.runtime = runtime;
    this.transport = transport;
    this.self = transport.self();
    this.view = new MemberView(self);
    this.bus = new EventBus(self.name(), settings.listeners());
    this.deathProbe = new DeathProbe(runtime, transport, view, this::refused);
    this.gate = new InboundGate(INBOUND_PAUSE_ABOVE, INBOUND_RESUME_BELOW, transport::reading);
    this.detector =
        new HeartbeatDetector(
            settings.heartbeatInterval(), settings.unreachableAfter(), settings.downAfter());
    this.quorum = new Quorum(settings.quorumSize());
    this.scopes =
        new ScopeTable(
            runtime,
            self.replicaId(),
            new Hlc(System::currentTimeMillis),
            settings.replication(),
            this::sendScoped,
            types,
            java.util.Set.of(MEMBERS),
            unreadLogs);
    this.router = new MessageRouter(self.name());
    this.endpoints = new Endpoints(runtime, transport, types, router);
    this.join =
        new JoinProtocol(
            runtime,
            transport,
            new Joiner(self, settings.bindHost(), settings.seeds(), settings.joinRetry()),
            view,
            router,
            new JoinProtocol.Host() {
              @Override
              public void heard(NodeId id) {
                boolean unused = ClusterNode.this.heard(id);
              }

              @Override
              public void learned(NodeId member) {
                var unused = addOrReplace(member);
              }

              @Override
              public void becomeUp() {
                ClusterNode.this.becomeUp();
              }

              @Override
              public void formed() {
                lives.formed();
              }
            });
    router.register(Scoped.class, (from, s) -> scopes.receive(from, s.scope(), s.message()));
    this.lease =
        new LeaseProtocol(
            runtime,
            transport,
            settings.leaseDuration(),
            settings.lapseAfter(),
            router,
            this::emit,
            () ->
                !outcast
                    && (view.ownStatus() == MemberStatus.UP
                        || view.ownStatus() == MemberStatus.LEAVING),
            this::expected,
            quorum::size);
    this.members = scopes.scope(MEMBERS);
    this.removals =
        new Removals(
            () -> self, settings.removeAfter(), scopes.scope(REMOVED), view, new RemovalHost());
    router.register(
        Removed.class,
        (from, r) -> {
          if (r.member().equals(self)) {
            new RemovalHost().removedSelf();
          }
        });
    router.register(
        YouAreDown.class,
        (from, d) -> {
          if (d.member().equals(self)) {
            toldDown("declared down by " + from.name() + ", which holds quorum");
          }
        });
    this.config = scopes.scope(CONFIG);
    members.subscribe(this::onMemberChanges);
    config.subscribe(changes -> updateQuorum());
    this.lives =
        new Lives(
            self, scopes.scope(Lives.LIFE), scopes.scope(Lives.FORMER), view, membershipLog, types);
  }

  /** Starts the periodic tasks and the first join attempt (any thread). */
  public void start() {
    runtime.execute(
        () -> {
          // The detector's first reference tick: a stall before the first periodic tick must
          // still be recognised as this node's own silence.
          detector.tick(runtime.nanoTime());
          writeOwnRecord(MemberStatus.JOINING);
          updateQuorum();
          join.attempt();
        });
    runtime.every(
        "gossip round",
        settings.gossipInterval(),
        () -> {
          scopes.tick();
          lives.tick();
        });
    runtime.everyUrgent("heartbeat tick", settings.heartbeatInterval(), this::heartbeatTick);
    runtime.every("join attempt", settings.joinRetry(), join::attempt);
  }

  // ---- what the facade reads (core thread) ----

  public NodeId self() {
    return self;
  }

  public MemberView view() {
    return view;
  }

  /** The processes of the cluster's previous life as far as this node knows (core thread). */
  public java.util.Set<NodeId> formerMembers() {
    return lives.formerMembers();
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

  /** The lease protocol (its lease, fences and evidence). */
  public LeaseProtocol lease() {
    return lease;
  }

  /** Whether {@code id}'s lease can no longer be in effect: its process ended, or the evidence. */
  public boolean isLeaseLapsed(NodeId id) {
    return view.isProcessGone(id) || lease.lapsed(id.name());
  }

  /** The members that may run work: live, eligible, and not fenced (itself included). */
  public List<NodeId> liveMembers() {
    List<NodeId> live = new ArrayList<>();
    for (NodeId id : view.live(this::isEligible)) {
      boolean fenced = id.equals(self) ? outcast || lease.fenced() : lease.saysFenced(id.name());
      if (!fenced) {
        live.add(id);
      }
    }
    return live;
  }

  /** This node's event bus (to subscribe to events from now on). */
  public EventBus events() {
    return bus;
  }

  /** How many members make a majority of the expected membership now (itself included). */
  public int majority() {
    return expectedSize() / 2 + 1;
  }

  /** The size of the expected membership the majority is counted over (core thread). */
  public int expectedSize() {
    return quorum.size(expected());
  }

  private java.util.Set<String> expected() {
    MemberSet set = config.getNow(MEMBER_SET_KEY);
    return Quorum.expected(view, set == null ? null : set.names());
  }

  /** Reachable/unreachable changes since start (any thread). */
  public long reachabilityChanges() {
    return bus.reachabilityChanges();
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

  /** Writes this node's own record (LEAVING on a graceful leave). */
  public void writeOwnRecord(MemberStatus status) {
    view.ownStatus(status);
    List<Change<String, MemberRecord>> unused =
        members.putNow(self.name(), new MemberRecord(self, status));
  }

  /** Writes this node's LEFT record, saying whether the services on it handed their work over. */
  public void writeLeft(boolean handedOver) {
    view.ownStatus(MemberStatus.LEFT);
    List<Change<String, MemberRecord>> unused =
        members.putNow(self.name(), new MemberRecord(self, MemberStatus.LEFT, handedOver));
  }

  // ---- inputs ----

  /** A message from the transport (I/O thread): hops to the core, through the inbound gate. */
  public void onInbound(NodeId from, Object body) {
    if (endpoints.answerDirect(from, body) || endpoints.handleDirect(from, body)) {
      return; // a waiting caller's answer, or handled here: no hop to the core
    }
    gate.enter();
    Runnable handle =
        () -> {
          gate.leave();
          if (heard(from)) {
            router.route(from, body);
          }
        };
    if (body instanceof Heartbeat) {
      runtime.executeUrgent("heartbeat", handle); // life and the lease: never behind a backlog
    } else {
      runtime.execute(handle);
    }
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
            deathProbe.probe(peer);
          }
        });
  }

  /** The death probe found {@code p}'s address refusing connections: its process is gone. */
  private void refused(Peer p) {
    p.processEnded();
    declareDown(p, runtime.nanoTime());
    scopes.neighbours(view.neighbours());
    updateQuorum();
  }

  private boolean declareDown(Peer p, long now) {
    List<ClusterEvent> events = view.down(p);
    if (events.isEmpty()) {
      return false; // down already (logged once, not at every tick)
    }
    log.info(
        "[{}] {} silent for longer than down ({}): declared down",
        self.name(),
        p.id(),
        detector.describe(p.id(), now));
    quarantine.downed(p.id(), quorum.has() && lease.hasLease());
    // After a silent cut the old connection may be half-open for minutes: drop it so the next
    // heartbeat dials afresh (and re-resolves the name).
    transport.disconnect(p.id());
    endpoints.gone(p.id());
    emit(events);
    return true;
  }

  private void becomeUp() {
    if (view.ownStatus() == MemberStatus.JOINING) {
      writeOwnRecord(MemberStatus.UP);
      emit(List.of(new ClusterEvent.MemberUp(self)));
      updateQuorum();
      lease.up();
    }
  }

  private void heartbeatTick() {
    long now = runtime.nanoTime();
    detector.tick(now);
    boolean changed = false;
    List<NodeId> ids = new ArrayList<>();
    for (Peer p : view.peers()) {
      ids.add(p.id());
    }
    Heartbeat beat = lease.heartbeat(ids);
    for (Peer p : new ArrayList<>(view.peers())) {
      if (p.recordStatus() == MemberStatus.LEFT) {
        continue;
      }
      boolean unused = transport.send(p.id(), lease.acking(beat, p.id()));
      switch (detector.health(p.id(), now)) {
        case ALIVE -> {}
        case UNREACHABLE -> emit(view.unreachable(p));
        case DOWN -> changed |= declareDown(p, now);
      }
    }
    if (changed) {
      scopes.neighbours(view.neighbours());
    }
    updateQuorum();
    lease.recompute();
    removals.tick(now);
  }

  /** Remote timestamps clamped by the HLC's drift bound (any thread). */
  public long clampedTimestamps() {
    return scopes.clampedTimestamps();
  }

  /** Records life from {@code from}; false if it is an older incarnation (drop its message). */
  private boolean heard(NodeId from) {
    if (from.name().equals(Transport.ANY) || from.name().equals(self.name())) {
      return true;
    }
    Peer p = view.get(from.name());
    if (p == null || from.incarnation() > p.id().incarnation()) {
      if (view.isRetired(from)) {
        if (removals.isRemoved(from) && quarantine.shouldTell(from, runtime.nanoTime())) {
          boolean unused = transport.send(from, new Removed(from));
        }
        return false;
      }
      p = addOrReplace(from);
    } else if (from.incarnation() < p.id().incarnation()) {
      return false;
    }
    if (p.down() && quarantine.heard(p.id())) {
      if (quarantine.shouldTell(from, runtime.nanoTime())) {
        boolean unused = transport.send(from, new YouAreDown(from));
      }
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
      lease.forget(old.name());
      log.info("[{}] {} restarted as incarnation {}", self.name(), old, id.incarnation());
      detector.forget(old);
      endpoints.gone(old);
      scopes.retire(id.name(), id.incarnation());
    }
    quarantine.forgetBelow(id.name(), id.incarnation());
    lease.seen(id.name());
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
      if (rec.status() == MemberStatus.LEFT && rec.handedOver()) {
        view.handedOver(p.id());
      }
      List<ClusterEvent> events = view.record(p, rec.status());
      if (rec.status() == MemberStatus.LEFT && view.get(p.id().name()) == null) {
        forgetEverywhere(p.id());
      }
      emit(events);
    }
    scopes.neighbours(view.neighbours());
    updateQuorum();
  }

  /** A gone incarnation (left or removed): drop it from every room. */
  private void forgetEverywhere(NodeId id) {
    quarantine.forgetBelow(id.name(), id.incarnation() + 1); // retired: refused without it
    detector.forget(id);
    lease.forget(id.name());
    endpoints.gone(id);
    scopes.retire(id.name(), id.incarnation() + 1);
    transport.disconnect(id);
  }

  private final class RemovalHost implements Removals.Host {
    @Override
    public void removed(Peer p) {
      List<ClusterEvent> events = view.remove(p);
      forgetEverywhere(p.id());
      emit(events);
      scopes.neighbours(view.neighbours());
      updateQuorum();
    }

    @Override
    public void removedSelf() {
      if (!outcast) {
        emit(List.of(new ClusterEvent.MemberRemoved(self)));
      }
      toldDown("removed from the cluster (it was down for the others)");
    }

    @Override
    public boolean hasQuorum() {
      return quorum.has();
    }
  }

  /**
   * This incarnation is down for the others: its lease ends now (the fences run at once on the
   * lease thread), and in a task of its own the node goes on as a new incarnation (once).
   */
  private void toldDown(String why) {
    if (outcast) {
      return;
    }
    outcast = true;
    NodeId old = self;
    log.warn("[{}] this incarnation was {}: stopping its work, rejoining as a new one", old, why);
    lease.recompute();
    lease.revoke();
    CompletableFuture<Void> stopped;
    try {
      stopped = stopWork.get();
    } catch (RuntimeException e) {
      stopped = CompletableFuture.failedFuture(e);
    }
    // The new incarnation is announced only once the old one's work stopped: the others may then
    // take "replaced by a newer incarnation" as proof that it ended.
    var unused =
        stopped
            .orTimeout(STOP_WORK_TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .whenComplete(
                (v, e) -> {
                  if (e != null) {
                    log.warn("[{}] work did not stop in time: {}", old, e.toString());
                  }
                  runtime.execute(() -> reincarnate(old));
                });
  }

  private static final long STOP_WORK_TIMEOUT_SECONDS = 60;

  /** Goes on as a new incarnation of {@code old}: same address and state, JOINING again. */
  private void reincarnate(NodeId old) {
    if (!self.equals(old) || runtime.isClosed()) {
      return;
    }
    NodeId next =
        new NodeId(
            old.name(),
            old.host(),
            old.port(),
            Math.max(old.incarnation() + 1, System.currentTimeMillis()));
    transport.reincarnate(next);
    self = next;
    view.reincarnate(next);
    long now = runtime.nanoTime();
    for (Peer p : view.peers()) {
      endpoints.gone(p.id());
      detector.heard(p.id(), now);
    }
    scopes.reincarnate(next.replicaId());
    scopes.neighbours(view.neighbours());
    outcast = false;
    join.rejoin();
    writeOwnRecord(MemberStatus.JOINING);
    updateQuorum();
    lease.recompute();
    log.info("[{}] rejoining as incarnation {}", next.name(), next.incarnation());
    emit(List.of(new ClusterEvent.Reincarnated(old, next)));
    join.attempt();
  }

  /**
   * Whether {@code id} can never act again as this incarnation: its process ended (it left, was
   * replaced, its address refused connections), it was removed, or this node declared it down while
   * holding quorum and its lease (it is quarantined: told so when heard, it starts anew) and a
   * quorum's reports say its lease lapsed. A verdict without quorum is not enough (this node may be
   * the one cut off), nor one made with quorum over a single cut link (the others still hear it).
   */
  public boolean isGoneForGood(NodeId id) {
    return view.isProcessGone(id)
        || view.isRetired(id)
        || (quarantine.isQuarantined(id) && lease.lapsed(id.name()));
  }

  /** Down verdicts later contradicted by hearing the same incarnation again (any thread). */
  public long falseDowns() {
    return quarantine.falseDowns();
  }

  /** Removes {@code member} from the membership (an operator's call; no quorum needed). */
  public void remove(NodeId member) {
    removals.remove(member);
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
    bus.emit(events);
  }
}
