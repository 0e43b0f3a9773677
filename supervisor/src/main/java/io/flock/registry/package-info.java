/**
 * A cluster-wide registry of unique names for children ({@code Horde.Registry}): {@link
 * io.flock.registry.Registry}.
 */
@NullMarked
package io.flock.registry;

import org.jspecify.annotations.NullMarked;
