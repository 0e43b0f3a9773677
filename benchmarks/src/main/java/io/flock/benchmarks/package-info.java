/** Flock's benchmarks: JMH hot paths and the convergence report. Not an API. */
@NullMarked
package io.flock.benchmarks;

import org.jspecify.annotations.NullMarked;
