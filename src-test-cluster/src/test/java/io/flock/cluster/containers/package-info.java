/** Cluster fault tests with real JVMs in containers (Testcontainers). */
@NullMarked
package io.flock.cluster.containers;

import org.jspecify.annotations.NullMarked;
