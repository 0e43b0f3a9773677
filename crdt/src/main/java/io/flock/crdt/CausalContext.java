package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable causal context: the set of dots a state has seen, kept compact as a version vector
 * (every dot {@code (r, 1..versions[r])}) plus a dot cloud for dots seen out of order. It is always
 * normalised: a cloud dot that extends its replica's contiguous prefix is folded into the vector,
 * so two contexts holding the same dots are {@link #equals equal}.
 *
 * <p>See Almeida, Shoker and Baquero, <i>Delta State Replicated Data Types</i>, JPDC 2018, §5.
 */
public final class CausalContext {
  private static final CausalContext EMPTY = new CausalContext(Map.of(), Map.of(), Map.of());

  private final Map<ReplicaId, Long> versions;
  private final Map<ReplicaId, long[]> cloud; // sorted counters above versions[r] + 1, no dupes
  private final Map<String, Long> retiredBelow; // node -> every incarnation below it is retired

  private CausalContext(
      Map<ReplicaId, Long> versions, Map<ReplicaId, long[]> cloud, Map<String, Long> retired) {
    this.versions = versions;
    this.cloud = cloud;
    this.retiredBelow = retired;
  }

  /** The empty context. */
  public static CausalContext empty() {
    return EMPTY;
  }

  /**
   * A context of the given version vector and extra dots, normalised.
   *
   * @throws NullPointerException if an argument or element is null
   * @throws IllegalArgumentException if a version is negative
   */
  public static CausalContext of(Map<ReplicaId, Long> versions, Iterable<Dot> dots) {
    return of(versions, dots, Map.of());
  }

  /**
   * A context of the given version vector, extra dots and retired incarnations, normalised.
   *
   * @param retiredBelow per node name, the incarnation below which all are retired
   * @throws NullPointerException if an argument or element is null
   * @throws IllegalArgumentException if a version or floor is negative
   */
  public static CausalContext of(
      Map<ReplicaId, Long> versions, Iterable<Dot> dots, Map<String, Long> retiredBelow) {
    requireNonNull(versions, "versions");
    requireNonNull(dots, "dots");
    requireNonNull(retiredBelow, "retiredBelow");
    Builder builder = new Builder();
    retiredBelow.forEach(
        (node, below) -> {
          requireNonNull(node, "retiredBelow key");
          requireNonNull(below, "retiredBelow value");
          if (below < 0) {
            throw new IllegalArgumentException(
                "retiredBelow: floor of " + node + " must be >= 0, was " + below);
          }
          builder.retire(node, below);
        });
    versions.forEach(
        (replica, version) -> {
          requireNonNull(replica, "versions key");
          requireNonNull(version, "versions value");
          if (version < 0) {
            throw new IllegalArgumentException(
                "versions: version of " + replica + " must be >= 0, was " + version);
          }
          builder.addVersion(replica, version);
        });
    for (Dot dot : dots) {
      requireNonNull(dot, "dots element");
      builder.add(dot.replica(), dot.counter());
    }
    return builder.build();
  }

  /** A context holding exactly the given dots. */
  public static CausalContext ofDots(Dot... dots) {
    return ofDots(List.of(dots));
  }

  /**
   * A context holding exactly the given dots: the lean path for the one or two dots of a mutator's
   * delta (no builder, no intermediate maps).
   */
  static CausalContext ofDots(List<Dot> dots) {
    if (dots.size() == 1) {
      Dot d = dots.get(0);
      return d.counter() == 1
          ? new CausalContext(Map.of(d.replica(), 1L), Map.of(), Map.of())
          : new CausalContext(Map.of(), Map.of(d.replica(), new long[] {d.counter()}), Map.of());
    }
    if (dots.size() == 2 && !dots.get(0).replica().equals(dots.get(1).replica())) {
      Dot a = dots.get(0);
      Dot b = dots.get(1);
      if (a.counter() > 1 && b.counter() > 1) {
        return new CausalContext(
            Map.of(),
            Map.of(a.replica(), new long[] {a.counter()}, b.replica(), new long[] {b.counter()}),
            Map.of());
      }
    }
    return of(Map.of(), dots);
  }

  /**
   * Whether this context has seen the dot {@code (replica, counter)}. Every dot of a {@linkplain
   * #isRetired retired} incarnation counts as seen.
   */
  public boolean contains(ReplicaId replica, long counter) {
    if (isRetired(replica)) {
      return true;
    }
    Long version = versions.get(replica);
    if (version != null && counter <= version) {
      return true;
    }
    long[] extra = cloud.get(replica);
    return extra != null && java.util.Arrays.binarySearch(extra, counter) >= 0;
  }

  /** Whether this context has seen {@code dot}. */
  public boolean contains(Dot dot) {
    return contains(dot.replica(), dot.counter());
  }

  /**
   * Whether {@code replica} is a retired incarnation: pruned from this context, its dots all
   * counted as seen. See {@link AWLWWMap#prune(String, long)}.
   */
  public boolean isRetired(ReplicaId replica) {
    Long floor = retiredBelow.get(replica.node());
    return floor != null && replica.incarnation() < floor;
  }

  /** Per node name, the incarnation below which every incarnation is retired. */
  public Map<String, Long> retiredBelow() {
    return retiredBelow;
  }

  /** The contiguous prefix seen of each replica (an unmodifiable view). */
  public Map<ReplicaId, Long> versions() {
    return versions;
  }

  /** The dots seen beyond each replica's contiguous prefix, in a fixed order. */
  public List<Dot> cloud() {
    List<Dot> out = new ArrayList<>();
    new TreeMap<>(cloud)
        .forEach(
            (replica, counters) -> {
              for (long c : counters) {
                out.add(new Dot(replica, c));
              }
            });
    return out;
  }

  /** The replicas this context knows any dot of. */
  public Set<ReplicaId> replicas() {
    Set<ReplicaId> all = new TreeSet<>(versions.keySet());
    all.addAll(cloud.keySet());
    return all;
  }

  /** The greatest counter seen of {@code replica} (0 if none). */
  public long max(ReplicaId replica) {
    long[] extra = cloud.get(replica);
    if (extra != null) {
      return extra[extra.length - 1];
    }
    return versions.getOrDefault(replica, 0L);
  }

  /** Whether every dot of {@code replica} up to its greatest is seen (no gaps). */
  public boolean isContiguous(ReplicaId replica) {
    return !cloud.containsKey(replica);
  }

  /** The number of dots kept explicitly in the cloud. */
  public int cloudSize() {
    int n = 0;
    for (long[] c : cloud.values()) {
      n += c.length;
    }
    return n;
  }

  /** Whether this context has seen no dot. */
  public boolean isEmpty() {
    return versions.isEmpty() && cloud.isEmpty() && retiredBelow.isEmpty();
  }

  /** The union of two contexts (pure). */
  public CausalContext merge(CausalContext other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    Builder builder = new Builder();
    builder.addAll(this);
    builder.addAll(other);
    return builder.build();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CausalContext other)) {
      return false;
    }
    if (!versions.equals(other.versions)
        || !retiredBelow.equals(other.retiredBelow)
        || !cloud.keySet().equals(other.cloud.keySet())) {
      return false;
    }
    for (Map.Entry<ReplicaId, long[]> e : cloud.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), other.cloud.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = versions.hashCode() * 31 + retiredBelow.hashCode();
    for (Map.Entry<ReplicaId, long[]> e : cloud.entrySet()) {
      h += e.getKey().hashCode() ^ java.util.Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    return "CausalContext"
        + new TreeMap<>(versions)
        + (cloud.isEmpty() ? "" : "+" + cloud())
        + (retiredBelow.isEmpty() ? "" : " retired<" + new TreeMap<>(retiredBelow));
  }

  /**
   * Accumulates dots and builds a normalised context. Also the mutable context a replica keeps for
   * itself: its operations are amortised O(1) for in-order dots.
   */
  static final class Builder {
    private final Map<ReplicaId, Clock> clocks = new HashMap<>();
    private final Map<String, Long> retiredBelow = new HashMap<>();

    /** Per replica: the contiguous prefix and the dots above it (null when none). */
    static final class Clock {
      long version;
      java.util.@org.jspecify.annotations.Nullable TreeSet<Long> extra;
    }

    boolean isRetired(ReplicaId replica) {
      Long floor = retiredBelow.get(replica.node());
      return floor != null && replica.incarnation() < floor;
    }

    boolean contains(ReplicaId replica, long counter) {
      if (isRetired(replica)) {
        return true;
      }
      Clock clock = clocks.get(replica);
      if (clock == null) {
        return false;
      }
      return counter <= clock.version || (clock.extra != null && clock.extra.contains(counter));
    }

    void addVersion(ReplicaId replica, long version) {
      if (version == 0 || isRetired(replica)) {
        return;
      }
      Clock clock = clocks.computeIfAbsent(replica, r -> new Clock());
      if (version > clock.version) {
        clock.version = version;
        compact(clock);
      }
    }

    /** Adds one dot; returns whether it was new. */
    boolean add(ReplicaId replica, long counter) {
      if (isRetired(replica)) {
        return false;
      }
      Clock clock = clocks.computeIfAbsent(replica, r -> new Clock());
      if (counter <= clock.version) {
        return false;
      }
      if (counter == clock.version + 1) {
        clock.version = counter;
        compact(clock);
        return true;
      }
      if (clock.extra == null) {
        clock.extra = new TreeSet<>();
      }
      return clock.extra.add(counter);
    }

    void addAll(CausalContext context) {
      context.retiredBelow.forEach(this::retire);
      context.versions.forEach(this::addVersion);
      context.cloud.forEach(
          (replica, counters) -> {
            for (long c : counters) {
              add(replica, c);
            }
          });
    }

    /** Retires every incarnation of {@code node} below {@code below}, forgetting their dots. */
    void retire(String node, long below) {
      Long floor = retiredBelow.get(node);
      if (floor != null && floor >= below) {
        return;
      }
      retiredBelow.put(node, below);
      clocks.keySet().removeIf(r -> r.node().equals(node) && r.incarnation() < below);
    }

    /** Whether {@code node} has an incarnation below {@code below} with unseen earlier dots. */
    @org.jspecify.annotations.Nullable
    ReplicaId firstWithGaps(String node, long below) {
      for (Map.Entry<ReplicaId, Clock> e : clocks.entrySet()) {
        ReplicaId r = e.getKey();
        if (r.node().equals(node) && r.incarnation() < below && e.getValue().extra != null) {
          return r;
        }
      }
      return null;
    }

    private static void compact(Clock clock) {
      TreeSet<Long> extra = clock.extra;
      if (extra == null) {
        return;
      }
      while (!extra.isEmpty() && extra.first() <= clock.version + 1) {
        long first = extra.pollFirst();
        if (first == clock.version + 1) {
          clock.version = first;
        }
      }
      if (extra.isEmpty()) {
        clock.extra = null;
      }
    }

    CausalContext build() {
      if (clocks.isEmpty() && retiredBelow.isEmpty()) {
        return EMPTY;
      }
      Map<ReplicaId, Long> versions = new HashMap<>();
      Map<ReplicaId, long[]> cloud = new HashMap<>();
      clocks.forEach(
          (replica, clock) -> {
            if (clock.version > 0) {
              versions.put(replica, clock.version);
            }
            TreeSet<Long> extra = clock.extra;
            if (extra != null && !extra.isEmpty()) {
              cloud.put(replica, extra.stream().mapToLong(Long::longValue).toArray());
            }
          });
      return new CausalContext(Map.copyOf(versions), Map.copyOf(cloud), Map.copyOf(retiredBelow));
    }
  }
}
