package io.flock.supervisor;

/**
 * A child as a supervisor reports it.
 *
 * @param id the child's id
 * @param state its lifecycle state
 * @param restart its restart type
 * @param incarnation its local (re)start count, 1 for the first
 * @param generation its placement generation (fencing token)
 */
public record ChildInfo(
    String id, ChildState state, Restart restart, int incarnation, long generation) {}
