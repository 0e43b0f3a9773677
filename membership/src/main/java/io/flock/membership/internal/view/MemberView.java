package io.flock.membership.internal.view;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.ReplicaId;
import io.flock.membership.ClusterEvent;
import io.flock.membership.Member;
import io.flock.membership.MemberStatus;
import io.flock.membership.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * This node's view of the members: one {@link Peer} per name (its newest incarnation), this node's
 * own status, and the incarnations known to have ended. A pure value driven by the node: every
 * mutator returns the {@link ClusterEvent}s it caused, in order, and touches no network.
 *
 * <p>Threading: core thread only.
 */
public final class MemberView {
  private NodeId self;
  private final Map<String, Peer> peers = new TreeMap<>();
  private final Set<String> retired = new HashSet<>(); // name#incarnation
  private final Set<String> handedOver = new HashSet<>(); // name#incarnation
  private final Set<String> removed = new HashSet<>(); // name#incarnation
  private final Set<NodeId> former = new HashSet<>(); // processes of an earlier life
  private MemberStatus ownStatus = MemberStatus.JOINING;

  /** An empty view of {@code self}, JOINING. */
  public MemberView(NodeId self) {
    this.self = requireNonNull(self, "self");
  }

  /** This node. */
  public NodeId self() {
    return self;
  }

  /**
   * This node goes on as {@code next}, a later incarnation of itself: JOINING again, with the peers
   * it knows (their verdicts are kept; hearing them revives them as usual).
   */
  public void reincarnate(NodeId next) {
    if (!next.name().equals(self.name()) || next.incarnation() <= self.incarnation()) {
      throw new IllegalArgumentException("next must be a later incarnation of " + self);
    }
    self = next;
    ownStatus = MemberStatus.JOINING;
  }

  /** This node's own status. */
  public MemberStatus ownStatus() {
    return ownStatus;
  }

  /**
   * Moves this node's own status.
   *
   * @throws IllegalStateException if the {@link MemberStatus} table does not allow the move
   */
  public void ownStatus(MemberStatus next) {
    if (next != ownStatus) {
      ownStatus = ownStatus.moveTo(next);
    }
  }

  /** The peer of {@code name}, or null. */
  public @org.jspecify.annotations.Nullable Peer get(String name) {
    return peers.get(name);
  }

  /** Every peer, by name. */
  public Collection<Peer> peers() {
    return Collections.unmodifiableCollection(peers.values());
  }

  /** {@code id} leaves after its services handed their work over. */
  public void handedOver(NodeId id) {
    handedOver.add(key(id.name(), id.incarnation()));
  }

  /** Whether {@code id} left after its services handed their work over. */
  public boolean leftGracefully(NodeId id) {
    return handedOver.contains(key(id.name(), id.incarnation())) && isProcessGone(id);
  }

  /** Whether {@code id} is an incarnation known to have ended. */
  public boolean isRetired(NodeId id) {
    return retired.contains(key(id.name(), id.incarnation()));
  }

  /** Every ended incarnation as (name, incarnation + 1): what replicators must retire below. */
  public List<Map.Entry<String, Long>> retirements() {
    List<Map.Entry<String, Long>> out = new ArrayList<>();
    for (String r : retired) {
      int hash = r.lastIndexOf('#');
      out.add(Map.entry(r.substring(0, hash), Long.parseLong(r.substring(hash + 1)) + 1));
    }
    return out;
  }

  /**
   * Adds {@code id}, replacing an older incarnation of its name.
   *
   * @return the replaced incarnation, or null
   */
  public @org.jspecify.annotations.Nullable NodeId addOrReplace(NodeId id) {
    Peer old = peers.get(id.name());
    peers.put(id.name(), new Peer(id));
    if (old == null) {
      return null;
    }
    retired.add(key(id.name(), id.incarnation() - 1));
    return old.id();
  }

  /**
   * Life from {@code from}: the peer is reachable and not down.
   *
   * @return the events this caused
   */
  public List<ClusterEvent> heard(Peer p) {
    List<ClusterEvent> events = new ArrayList<>(2);
    if (p.reachable(true)) {
      events.add(new ClusterEvent.Reachable(p.id()));
    }
    if (p.down(false) && p.recordStatus() == MemberStatus.UP) {
      events.add(new ClusterEvent.MemberUp(p.id()));
    }
    return events;
  }

  /** Marks {@code p} unreachable; returns the event, if it changed. */
  public List<ClusterEvent> unreachable(Peer p) {
    return p.reachable(false) ? List.of(new ClusterEvent.Unreachable(p.id())) : List.of();
  }

  /** Marks {@code p} down; returns the events, if it changed. */
  public List<ClusterEvent> down(Peer p) {
    List<ClusterEvent> events = new ArrayList<>(2);
    events.addAll(unreachable(p));
    if (p.down(true)) {
      events.add(new ClusterEvent.MemberDown(p.id()));
    }
    return events;
  }

  /**
   * The status {@code p} wrote of itself. A LEFT member is removed from the view and its
   * incarnation retired.
   *
   * @return the events this caused
   */
  public List<ClusterEvent> record(Peer p, MemberStatus status) {
    MemberStatus before = p.recordStatus();
    if (!p.record(status)) {
      return List.of();
    }
    List<ClusterEvent> events = new ArrayList<>(1);
    if (p.announceUp()) {
      events.add(new ClusterEvent.MemberUp(p.id()));
    }
    if (status == MemberStatus.LEFT && before != MemberStatus.LEFT) {
      events.add(new ClusterEvent.MemberLeft(p.id()));
      retired.add(key(p.id().name(), p.id().incarnation()));
      peers.remove(p.id().name());
    }
    return events;
  }

  /** Removes {@code p} from the view for good (it was removed from the membership). */
  public List<ClusterEvent> remove(Peer p) {
    retired.add(key(p.id().name(), p.id().incarnation()));
    removed.add(key(p.id().name(), p.id().incarnation()));
    peers.remove(p.id().name());
    return List.of(new ClusterEvent.MemberRemoved(p.id()));
  }

  /** The members as this node sees them, itself first. */
  public List<Member> members() {
    List<Member> out = new ArrayList<>(peers.size() + 1);
    out.add(new Member(self, ownStatus, true));
    for (Peer p : peers.values()) {
      out.add(new Member(p.id(), p.shownStatus(), p.reachable() && !p.down()));
    }
    return out;
  }

  /** The members that may run work (up, not down, {@code eligible}), itself first. */
  public List<NodeId> live(Predicate<String> eligible) {
    List<NodeId> live = new ArrayList<>();
    if (ownStatus == MemberStatus.UP && eligible.test(self.name())) {
      live.add(self);
    }
    for (Peer p : peers.values()) {
      if (p.live() && eligible.test(p.id().name())) {
        live.add(p.id());
      }
    }
    return live;
  }

  /**
   * Whether {@code id} is known to be gone: declared down, left, or replaced by a newer
   * incarnation. A node not heard of yet is not gone.
   */
  public boolean isGone(NodeId id) {
    return ended(id, p -> p.down() || p.recordStatus() == MemberStatus.LEFT);
  }

  /**
   * Whether {@code id}'s process is known to have ended: it left, was replaced by a newer
   * incarnation of its name, or its address refused connections. Silence alone is not enough, and
   * neither is a removal (a verdict, not proof) until a newer incarnation appears.
   */
  public boolean isProcessGone(NodeId id) {
    if (removed.contains(key(id.name(), id.incarnation()))) {
      // A removal is a verdict, not proof: the process may live (a false down, a deaf pair). It
      // ended only once a newer incarnation of its name shows up (announced after it stopped).
      Peer p = peers.get(id.name());
      return p != null && p.id().incarnation() > id.incarnation();
    }
    return ended(id, p -> p.processGone() || p.recordStatus() == MemberStatus.LEFT);
  }

  /**
   * Whether {@code id} ended: an older incarnation of this node, retired, replaced by a newer
   * incarnation, or (for the current one) {@code current} holds. A node not heard of has not.
   */
  private boolean ended(NodeId id, Predicate<Peer> current) {
    if (id.name().equals(self.name())) {
      return id.incarnation() < self.incarnation();
    }
    if (isRetired(id)) {
      return true;
    }
    Peer p = peers.get(id.name());
    if (p == null || p.id().incarnation() < id.incarnation()) {
      return former.contains(id);
    }
    return p.id().incarnation() > id.incarnation() || current.test(p);
  }

  /**
   * {@code id} is a process of an earlier life of the cluster (it restarted whole): unless it is a
   * member of this one, which it cannot be, it has ended.
   */
  public void former(NodeId id) {
    former.add(id);
  }

  /** The processes of the cluster's previous life ({@link #former}), unmodifiable. */
  public Set<NodeId> formerMembers() {
    return java.util.Collections.unmodifiableSet(former);
  }

  /** The replicas of the active peers: the replication neighbours. */
  public List<ReplicaId> neighbours() {
    List<ReplicaId> out = new ArrayList<>();
    for (Peer p : peers.values()) {
      if (p.active()) {
        out.add(p.id().replicaId());
      }
    }
    return out;
  }

  /** The peers that have not left: what a join answer lists, and whom heartbeats go to. */
  public List<NodeId> known() {
    List<NodeId> out = new ArrayList<>();
    for (Peer p : peers.values()) {
      if (p.recordStatus() != MemberStatus.LEFT) {
        out.add(p.id());
      }
    }
    return out;
  }

  private static String key(String name, long incarnation) {
    return name + "#" + incarnation;
  }
}
