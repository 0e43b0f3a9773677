/**
 * A deterministic simulated network of the CRDT's replicators ({@link
 * io.flock.testkit.sim.SimCluster}): seeded loss, duplication, delay, partitions and crashes, with
 * no sockets, threads or clocks. For tests of the anti-entropy protocol itself.
 */
@NullMarked
package io.flock.testkit.sim;

import org.jspecify.annotations.NullMarked;
