/**
 * Process groups with OTP {@code pg} semantics, cluster-wide: {@link
 * io.flock.groups.ProcessGroups}.
 */
@NullMarked
package io.flock.groups;

import org.jspecify.annotations.NullMarked;
