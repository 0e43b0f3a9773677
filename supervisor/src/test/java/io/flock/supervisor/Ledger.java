package io.flock.supervisor;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the test children report: per child id, the copies running now ({@code node#generation}),
 * and every moment two copies of one child ran at once.
 */
final class Ledger {
  final Map<String, Set<String>> running = new ConcurrentHashMap<>();
  final List<String> duplicates = new CopyOnWriteArrayList<>();
  final Map<String, Long> highestGeneration = new ConcurrentHashMap<>();

  /** A child that runs until stopped, recording itself while it runs. */
  ChildFactory factory() {
    return spec ->
        ctx -> {
          String copy = ctx.node() + "#" + ctx.generation();
          Set<String> copies =
              running.computeIfAbsent(ctx.id(), k -> ConcurrentHashMap.newKeySet());
          synchronized (copies) {
            copies.add(copy);
            if (copies.size() > 1) {
              duplicates.add(ctx.id() + " ran as " + copies);
            }
          }
          highestGeneration.merge(ctx.id(), ctx.generation(), Math::max);
          try {
            Thread.sleep(Long.MAX_VALUE);
          } finally {
            synchronized (copies) {
              copies.remove(copy);
            }
          }
        };
  }

  /** Whether each of {@code ids} runs exactly once and nothing else runs. */
  boolean exactlyOnce(Set<String> ids) {
    for (String id : ids) {
      Set<String> copies = running.get(id);
      if (copies == null || copies.size() != 1) {
        return false;
      }
    }
    return running.entrySet().stream()
        .allMatch(e -> ids.contains(e.getKey()) || e.getValue().isEmpty());
  }

  /** How many children run on {@code node}. */
  long on(String node) {
    return running.values().stream()
        .flatMap(Set::stream)
        .filter(c -> c.startsWith(node + "#"))
        .count();
  }
}
