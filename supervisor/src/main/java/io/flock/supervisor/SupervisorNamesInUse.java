package io.flock.supervisor;

import io.flock.membership.Cluster;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The distributed supervisor names in use on each cluster node: two supervisors of one name on one
 * node would each run every child placed there, so the second is refused.
 *
 * <p>Threading: any thread.
 */
final class SupervisorNamesInUse {
  private static final Map<Cluster, Set<String>> NAMES = new WeakHashMap<>();

  private SupervisorNamesInUse() {}

  /**
   * Takes {@code name} on {@code cluster}.
   *
   * @throws IllegalStateException if a supervisor of this name already runs there
   */
  static void claim(Cluster cluster, String name) {
    synchronized (NAMES) {
      if (!NAMES.computeIfAbsent(cluster, c -> new HashSet<>()).add(name)) {
        throw new IllegalStateException(
            "a distributed supervisor named '" + name + "' already runs on " + cluster.self());
      }
    }
  }

  /** Frees {@code name} on {@code cluster}; idempotent. */
  static void release(Cluster cluster, String name) {
    synchronized (NAMES) {
      Set<String> names = NAMES.get(cluster);
      if (names != null) {
        names.remove(name);
      }
    }
  }
}
