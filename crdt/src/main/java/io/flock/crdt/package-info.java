/**
 * Flock's replicated data: a delta-state add-wins last-writer-wins map ({@link
 * io.flock.crdt.AWLWWMap}) and the delta-interval anti-entropy protocol that keeps replicas of it
 * converged ({@link io.flock.crdt.Replicator}).
 *
 * <p>Everything here is a pure state machine: no sockets, no threads, no clock reads except through
 * an injected time source. Instances are not thread-safe; one owner thread drives each. Nothing in
 * this package accepts or returns {@code null} unless a method says so.
 */
@NullMarked
package io.flock.crdt;

import org.jspecify.annotations.NullMarked;
