/**
 * The operators' side of a Flock node: {@link io.flock.console.Console} serves health endpoints for
 * orchestrators and a Prometheus scrape, on its own port.
 */
@NullMarked
package io.flock.console;

import org.jspecify.annotations.NullMarked;
