/**
 * Local disk storage for durable scopes ({@link io.flock.membership.Cluster#durableScope}): what a
 * node keeps so that, when the whole cluster restarts, replicated state comes back. {@link
 * io.flock.membership.storage.Storage#files} is the default: one append-only log per scope with a
 * checksum per record, rewritten as one snapshot when it grows; {@link
 * io.flock.membership.storage.Fsync} says when it is forced to the device.
 */
@NullMarked
package io.flock.membership.storage;

import org.jspecify.annotations.NullMarked;
