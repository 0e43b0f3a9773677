package io.flock.membership;

/**
 * A member as this node sees it.
 *
 * @param id its identity
 * @param status its status (DOWN when this node's failure detector gave up on it)
 * @param reachable whether this node heard from it recently
 */
public record Member(NodeId id, MemberStatus status, boolean reachable) {}
