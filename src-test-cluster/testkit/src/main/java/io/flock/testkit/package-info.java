/**
 * The testkit: an in-JVM Flock cluster with faults ({@link io.flock.testkit.TestCluster}) for the
 * tests of services that embed Flock. A test dependency ({@code io.flock:flock-testkit}, scope
 * {@code test}); it logs through SLF4J and brings no logging backend of its own.
 */
@NullMarked
package io.flock.testkit;

import org.jspecify.annotations.NullMarked;
