/** A runnable Flock node and the demo driver. Not an API. */
@NullMarked
package io.flock.cluster;

import org.jspecify.annotations.NullMarked;
