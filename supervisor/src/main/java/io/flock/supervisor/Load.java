package io.flock.supervisor;

import io.flock.membership.Scope;
import java.util.HashMap;
import java.util.Map;

/** Children per node name, for strategies that read it (others get an empty map: no count). */
final class Load {
  private Load() {}

  static Map<String, Integer> of(DistributionStrategy strategy, Scope<String, Placement> scope) {
    Map<String, Integer> load = new HashMap<>();
    if (strategy.usesLoad()) {
      scope.forEachNow((id, p) -> load.merge(p.node().name(), 1, Integer::sum));
    }
    return load;
  }
}
