package io.flock.supervisor;

import io.flock.membership.NodeId;

/**
 * Where a child of a distributed supervisor is placed.
 *
 * @param id the child's id
 * @param node the node (incarnation) that runs it
 * @param generation grows with every placement anew (failover, move): the child's fencing token
 */
public record ChildRef(String id, NodeId node, long generation) {}
