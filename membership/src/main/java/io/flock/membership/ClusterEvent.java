package io.flock.membership;

/** What a {@link Cluster} tells its {@link ClusterListener}s, in order. */
public sealed interface ClusterEvent {
  /** A member is up (joined, or heard from again after being down). */
  record MemberUp(NodeId member) implements ClusterEvent {}

  /** This node's failure detector declared a member down. */
  record MemberDown(NodeId member) implements ClusterEvent {}

  /** A member left gracefully. */
  record MemberLeft(NodeId member) implements ClusterEvent {}

  /**
   * A member was removed from the expected membership: it had been down for {@code removeAfter} (or
   * an operator removed it), so it no longer counts for quorum. If it is this node, this
   * incarnation may not come back: it stops its work and rejoins as a new one ({@link
   * Reincarnated}).
   */
  record MemberRemoved(NodeId member) implements ClusterEvent {}

  /**
   * This node was told its incarnation {@code previous} is down (a node holding quorum declared it
   * so, or it was removed): its lease ended at once (the fences ran before this event), and it goes
   * on as {@code current}, a new incarnation on the same address, JOINING again through its seeds.
   * Its replicated state is kept; work it ran under {@code previous} is the others' to re-place.
   * {@link Cluster#self()} returns {@code current} from now on.
   */
  record Reincarnated(NodeId previous, NodeId current) implements ClusterEvent {}

  /** A member has been silent for a while (or its connection closed). */
  record Unreachable(NodeId member) implements ClusterEvent {}

  /** An unreachable member was heard from again. */
  record Reachable(NodeId member) implements ClusterEvent {}

  /** This node now sees a majority of the expected members. */
  record QuorumGained(int reachable, int expected) implements ClusterEvent {}

  /** This node no longer sees a majority of the expected members. */
  record QuorumLost(int reachable, int expected) implements ClusterEvent {}

  /**
   * This node's lease lapsed: a quorum no longer demonstrably hears it. Work must stop (fences
   * registered with {@link Cluster#onLeaseLost} already ran, on the lease thread).
   */
  record LeaseLost(NodeId self) implements ClusterEvent {}

  /** This node holds its lease (again). */
  record LeaseRegained(NodeId self) implements ClusterEvent {}
}
