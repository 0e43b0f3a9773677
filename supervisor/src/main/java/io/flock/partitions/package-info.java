/**
 * Partition workers (Elsa's worker supervisor): one child per partition of a named source, each
 * resuming from its last acknowledged position: {@link io.flock.partitions.PartitionWorkers}.
 */
@NullMarked
package io.flock.partitions;

import org.jspecify.annotations.NullMarked;
