package io.flock.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The children's own record, read from every node's ledger ({@code /ledger}, or the file of {@code
 * FLOCK_LEDGER}): per child the copies that ran ({@code node}, {@code generation}, from, to, in
 * wall-clock ms). Overlapping copies are duplicates: what actually ran, not what nodes say about
 * themselves. Not thread-safe.
 */
public final class Ledger {
  /** One copy of a child that ran from {@code from} to {@code to}. */
  public record Copy(String node, long generation, long from, long to) {}

  /** An external effect a copy made at {@code at}. */
  public record Effect(String id, String node, long generation, long at) {}

  private final Map<String, List<Copy>> copies = new HashMap<>();
  private final List<Effect> effects = new ArrayList<>();

  /** Per child id, its copies. */
  public Map<String, List<Copy>> copies() {
    return copies;
  }

  /**
   * Adds one node's ledger text; copies still open end at {@code openUntil} (now, or the moment the
   * node was killed).
   */
  public void add(String text, long openUntil) {
    add(text, List.of(), openUntil);
  }

  /**
   * Adds the ledger text of a node that was killed at each of {@code deaths} (epoch ms) and started
   * again: a copy never closed ends at the first death after it started, else at {@code openUntil}.
   */
  public void add(String text, List<Long> deaths, long openUntil) {
    Map<String, long[]> open = new HashMap<>();
    for (String line : text.lines().toList()) {
      String[] f = line.split(" ", -1);
      if (f.length != 5) {
        continue;
      }
      long at = Long.parseLong(f[0]);
      String key = f[2] + " " + f[3] + " " + f[4];
      if (f[1].equals("start")) {
        open.put(key, new long[] {at});
      } else if (f[1].equals("effect")) {
        effects.add(new Effect(f[2], f[3], Long.parseLong(f[4]), at));
      } else {
        long[] started = open.remove(key);
        if (started != null) {
          copy(f[2], f[3], Long.parseLong(f[4]), started[0], at);
        }
      }
    }
    open.forEach(
        (key, started) -> {
          String[] k = key.split(" ", -1);
          long end = openUntil;
          for (long death : deaths) {
            if (death >= started[0] && death < end) {
              end = death;
            }
          }
          copy(k[0], k[1], Long.parseLong(k[2]), started[0], end);
        });
  }

  private void copy(String id, String node, long generation, long from, long to) {
    copies.computeIfAbsent(id, x -> new ArrayList<>()).add(new Copy(node, generation, from, to));
  }

  /**
   * Every effect a stale copy made: one made after a copy of the same child with a higher
   * generation had started (the effects a fencing token must stop).
   */
  public List<Effect> staleEffects() {
    List<Effect> out = new ArrayList<>();
    for (Effect e : effects) {
      for (Copy c : copies.getOrDefault(e.id(), List.of())) {
        if (c.generation() > e.generation() && c.from() <= e.at()) {
          out.add(e);
          break;
        }
      }
    }
    return out;
  }

  /** How many effects the ledgers hold. */
  public int effectCount() {
    return effects.size();
  }

  /** Every pair of copies of one child that ran at the same time. */
  public List<String> overlaps() {
    List<String> out = new ArrayList<>();
    copies.forEach(
        (id, list) -> {
          for (int i = 0; i < list.size(); i++) {
            for (int j = i + 1; j < list.size(); j++) {
              Copy a = list.get(i);
              Copy b = list.get(j);
              if (a.from() < b.to() && b.from() < a.to()) {
                out.add(id + ": " + a + " and " + b);
              }
            }
          }
        });
    return out;
  }
}
