package io.flock.console;

import io.flock.groups.ProcessGroups;
import io.flock.registry.Registration;
import io.flock.registry.Registry;
import io.flock.registry.RegistryEvent;
import io.flock.singleton.Singleton;
import io.flock.singleton.SingletonStatus;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The page's view of what runs beside the supervisors: each registry's names (how many, and the
 * first {@value #SHOWN} by name with their child and node) and the name conflicts this node's
 * children lost; each process-group scope's groups with their member counts; each singleton's
 * leader, generation and since when. All read from this node's replicas.
 *
 * <p>Threading: configured by the builder; {@link #json} on the console's request threads; the
 * conflict listeners on the cluster's core thread (they only append under a lock).
 */
final class ServicesView {
  /** How many names and groups the page lists per registry or group scope. */
  static final int SHOWN = 200;

  /** How many lost conflicts are kept per registry. */
  static final int CONFLICTS_KEPT = 50;

  /** A name conflict one of this node's children lost. */
  record Conflict(long at, String name, String loser, String winner) {}

  private final Map<String, Registry> registries = new LinkedHashMap<>();
  private final Map<String, ArrayDeque<Conflict>> conflicts = new LinkedHashMap<>();
  private final Map<String, ProcessGroups> groups = new LinkedHashMap<>();
  private final Map<String, Singleton> singletons = new LinkedHashMap<>();

  boolean has(String name) {
    return registries.containsKey(name) || groups.containsKey(name) || singletons.containsKey(name);
  }

  void registry(String name, Registry registry) {
    registries.put(name, registry);
    conflicts.put(name, new ArrayDeque<>());
    registry.subscribe(conflictListener(name));
  }

  void groups(String name, ProcessGroups scope) {
    groups.put(name, scope);
  }

  void singleton(Singleton singleton) {
    singletons.put(singleton.name(), singleton);
  }

  /** Records the conflicts the registry {@code name} reports on this node. */
  Consumer<RegistryEvent> conflictListener(String name) {
    return e -> {
      if (e instanceof RegistryEvent.ConflictLost lost) {
        ArrayDeque<Conflict> kept = conflicts.get(name);
        if (kept == null) {
          return;
        }
        synchronized (kept) {
          kept.addLast(
              new Conflict(
                  System.currentTimeMillis(),
                  lost.name(),
                  where(lost.loser()),
                  where(lost.winner())));
          while (kept.size() > CONFLICTS_KEPT) {
            kept.removeFirst();
          }
        }
      }
    };
  }

  private static String where(Registration r) {
    return r.ref().id() + "@" + r.ref().node().name() + "#" + r.ref().generation();
  }

  /** Appends {@code "registries":{…},"groups":{…},"singletons":{…}}. */
  StringBuilder json(StringBuilder out) {
    Json.key(out, "registries").append('{');
    boolean first = true;
    for (Map.Entry<String, Registry> e : registries.entrySet()) {
      out.append(first ? "" : ",");
      first = false;
      appendRegistry(out, e.getKey(), e.getValue());
    }
    out.append("},");
    Json.key(out, "groups").append('{');
    first = true;
    for (Map.Entry<String, ProcessGroups> e : groups.entrySet()) {
      out.append(first ? "" : ",");
      first = false;
      Json.key(out, e.getKey()).append('[');
      boolean firstGroup = true;
      int shown = 0;
      for (String g : new TreeSet<>(e.getValue().whichGroups())) {
        if (shown++ == SHOWN) {
          break;
        }
        out.append(firstGroup ? "[" : ",[");
        firstGroup = false;
        Json.string(out, g).append(',').append(e.getValue().members(g).size()).append(']');
      }
      out.append(']');
    }
    out.append("},");
    Json.key(out, "singletons").append('{');
    first = true;
    for (Map.Entry<String, Singleton> e : singletons.entrySet()) {
      out.append(first ? "" : ",");
      first = false;
      appendSingleton(out, e.getKey(), e.getValue());
    }
    return out.append('}');
  }

  private void appendRegistry(StringBuilder out, String name, Registry registry) {
    Json.key(out, name).append('{');
    Json.key(out, "count").append(registry.count()).append(',');
    List<Registration> all = new ArrayList<>(registry.select(r -> true));
    all.sort(Comparator.comparing(Registration::name));
    Json.key(out, "names").append('[');
    for (int i = 0; i < Math.min(SHOWN, all.size()); i++) {
      Registration r = all.get(i);
      out.append(i == 0 ? "[" : ",[");
      Json.string(out, r.name()).append(',');
      Json.string(out, r.ref().id()).append(',');
      Json.string(out, r.ref().node().name()).append(',').append(r.ref().generation()).append(']');
    }
    out.append("],");
    Json.key(out, "conflicts").append('[');
    ArrayDeque<Conflict> kept = conflicts.getOrDefault(name, new ArrayDeque<>());
    List<Conflict> copy;
    synchronized (kept) {
      copy = List.copyOf(kept);
    }
    boolean first = true;
    for (Conflict c : copy) {
      out.append(first ? "{" : ",{");
      first = false;
      Json.key(out, "at").append(c.at()).append(',');
      Json.key(out, "name");
      Json.string(out, c.name()).append(',');
      Json.key(out, "loser");
      Json.string(out, c.loser()).append(',');
      Json.key(out, "winner");
      Json.string(out, c.winner()).append('}');
    }
    out.append("]}");
  }

  private static void appendSingleton(StringBuilder out, String name, Singleton singleton) {
    Json.key(out, name).append('{');
    SingletonStatus s;
    try {
      s = singleton.status().get(1, TimeUnit.SECONDS);
    } catch (Exception stopped) {
      out.append('}');
      return;
    }
    Json.key(out, "leader");
    if (s.leader() == null) {
      out.append("null");
    } else {
      Json.string(out, s.leader().name());
    }
    out.append(',');
    Json.key(out, "generation").append(s.generation()).append(',');
    Instant since = s.leaderSince();
    Json.key(out, "since").append(since == null ? "null" : String.valueOf(since.toEpochMilli()));
    out.append(',');
    Json.key(out, "here");
    Json.string(out, s.local().name()).append('}');
  }
}
