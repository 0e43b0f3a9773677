package io.flock.supervisor;

/**
 * Counts, as OTP's {@code count_children}.
 *
 * @param specs children the supervisor holds, in any state
 * @param active children whose thread is running
 * @param workers children that are workers (all of Flock's children are)
 */
public record ChildCounts(int specs, int active, int workers) {}
