package io.flock.membership;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * A node configured without code: {@link ClusterBuilder#fromSettings} reads these names (each after
 * a prefix, {@code FLOCK_} for the environment). Every name and its default is in {@link #NAMES},
 * which {@code docs/guide.md}'s table is checked against. Durations are {@code 200ms}, {@code 1s},
 * {@code 2m} or ISO-8601 ({@code PT1S}).
 *
 * <p>Threading: a value; used while building.
 */
final class SettingsMap {
  private SettingsMap() {}

  /** Name (after the prefix) → its default as documented ("required" when there is none). */
  static final Map<String, String> NAMES =
      Map.ofEntries(
          Map.entry("CLUSTER", "required"),
          Map.entry("NODE", "required"),
          Map.entry("SECRET", "required"),
          Map.entry("BIND", "127.0.0.1:0"),
          Map.entry("ADVERTISE", "127.0.0.1"),
          Map.entry("SEEDS", "none"),
          Map.entry("SEEDS_DNS", "none"),
          Map.entry("INCARNATION", "the start time in ms"),
          Map.entry("HEARTBEAT", "200ms"),
          Map.entry("UNREACHABLE", "1s"),
          Map.entry("DOWN", "1800ms"),
          Map.entry("LEASE", "derived (1176ms)"),
          Map.entry("REMOVE_AFTER", "30s"),
          Map.entry("GOSSIP_INTERVAL", "200ms"),
          Map.entry("JOIN_RETRY", "500ms"),
          Map.entry("QUORUM_SIZE", "0"),
          Map.entry("MAX_VALUE_BYTES", "1048576"));

  static ClusterBuilder builder(String prefix, Map<String, String> all) {
    Map<String, String> mine = new TreeMap<>();
    for (Map.Entry<String, String> e : all.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        String name = e.getKey().substring(prefix.length());
        if (!NAMES.containsKey(name)) {
          throw new IllegalArgumentException(
              "unknown setting "
                  + e.getKey()
                  + " (known: "
                  + prefix
                  + String.join(", " + prefix, new TreeMap<>(NAMES).keySet())
                  + ")");
        }
        mine.put(name, e.getValue().trim());
      }
    }
    ClusterBuilder b =
        Cluster.builder(required(prefix, mine, "CLUSTER"), required(prefix, mine, "NODE"));
    b.secret(required(prefix, mine, "SECRET").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    with(
        prefix,
        mine,
        "BIND",
        (n, v) -> {
          int colon = colon(n, v);
          b.bind(v.substring(0, colon), integer(n, v.substring(colon + 1)));
        });
    with(prefix, mine, "ADVERTISE", (n, v) -> b.advertise(v));
    if (mine.containsKey("SEEDS") && mine.containsKey("SEEDS_DNS")) {
      throw new IllegalArgumentException(
          prefix + "SEEDS and " + prefix + "SEEDS_DNS are exclusive: give one");
    }
    with(
        prefix,
        mine,
        "SEEDS",
        (n, v) -> b.seeds(v.isEmpty() ? List.of() : List.of(v.split("\\s*,\\s*"))));
    with(
        prefix,
        mine,
        "SEEDS_DNS",
        (n, v) -> {
          int colon = colon(n, v);
          b.seeds(SeedResolver.dns(v.substring(0, colon), integer(n, v.substring(colon + 1))));
        });
    with(prefix, mine, "INCARNATION", (n, v) -> b.incarnation(longValue(n, v)));
    if (mine.containsKey("HEARTBEAT")
        || mine.containsKey("UNREACHABLE")
        || mine.containsKey("DOWN")) {
      b.failureDetection(
          duration(prefix + "HEARTBEAT", mine.getOrDefault("HEARTBEAT", "200ms")),
          duration(prefix + "UNREACHABLE", mine.getOrDefault("UNREACHABLE", "1s")),
          duration(prefix + "DOWN", mine.getOrDefault("DOWN", "1800ms")));
    }
    with(prefix, mine, "LEASE", (n, v) -> b.lease(duration(n, v), 0.01));
    with(prefix, mine, "REMOVE_AFTER", (n, v) -> b.removeAfter(duration(n, v)));
    with(prefix, mine, "GOSSIP_INTERVAL", (n, v) -> b.gossipInterval(duration(n, v)));
    with(prefix, mine, "JOIN_RETRY", (n, v) -> b.joinRetry(duration(n, v)));
    with(prefix, mine, "QUORUM_SIZE", (n, v) -> b.quorumSize(integer(n, v)));
    with(prefix, mine, "MAX_VALUE_BYTES", (n, v) -> b.maxValueBytes(integer(n, v)));
    return b;
  }

  private static String required(String prefix, Map<String, String> mine, String name) {
    String v = mine.get(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException(prefix + name + " is required");
    }
    return v;
  }

  /** Applies a setting that is there, naming it in any error. */
  private static void with(
      String prefix, Map<String, String> mine, String name, BiConsumer<String, String> apply) {
    @Nullable String v = mine.get(name);
    if (v == null) {
      return;
    }
    try {
      apply.accept(prefix + name, v);
    } catch (IllegalArgumentException e) {
      String m = String.valueOf(e.getMessage());
      throw new IllegalArgumentException(
          m.startsWith(prefix + name) ? m : prefix + name + " '" + v + "': " + m, e);
    }
  }

  /** Where {@code v}, a {@code host:port}, splits. */
  private static int colon(String name, String v) {
    int colon = v.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(name + " must be host:port, was '" + v + "'");
    }
    return colon;
  }

  private static int integer(String name, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, was '" + v + "'", e);
    }
  }

  private static long longValue(String name, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, was '" + v + "'", e);
    }
  }

  /** {@code 200ms}, {@code 1s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT0.2S}). */
  static Duration duration(String name, String v) {
    String s = v.toLowerCase(Locale.ROOT);
    try {
      if (s.startsWith("pt") || s.startsWith("p")) {
        return Duration.parse(v);
      }
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
      }
      long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
      return switch (s.charAt(s.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new NumberFormatException("no unit");
      };
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException(
          name + " must be a duration (200ms, 1s, 2m, PT1S), was '" + v + "'", e);
    }
  }
}
