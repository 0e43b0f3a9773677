/**
 * A cluster singleton with leadership callbacks (Elixir's GlobalChild and Stoker's Activator for
 * the JVM): one {@link io.flock.singleton.Leader} in the whole cluster at a time, fenced by the
 * lease and the placement generation. Start it with {@link io.flock.singleton.Singleton#builder}.
 */
@NullMarked
package io.flock.singleton;

import org.jspecify.annotations.NullMarked;
