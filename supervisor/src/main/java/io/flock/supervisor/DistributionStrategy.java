package io.flock.supervisor;

import io.flock.membership.NodeId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the node a child runs on. Called on the cluster's core thread with the live, eligible
 * members (sorted by name) and the current number of children per node name; must be quick. A
 * deterministic strategy lets every node compute the same claimer for a failed node's children.
 */
public interface DistributionStrategy {

  /** The node for {@code childId}, or empty if none can take it. */
  Optional<NodeId> choose(String childId, List<NodeId> live, Map<String, Integer> load);

  /** Whether a node without quorum must stop its children and place none. */
  default boolean requiresQuorum() {
    return false;
  }

  /**
   * Whether {@link #choose} reads the load map; when false the supervisor passes an empty map and
   * saves an O(children) count per placement.
   */
  default boolean usesLoad() {
    return false;
  }

  /**
   * Rendezvous (highest random weight) hashing of the child id over node names: deterministic, and
   * a membership change moves only the children that must move (Horde's uniform distribution).
   */
  static DistributionStrategy uniform() {
    return (id, live, load) -> Rendezvous.best(id, live);
  }

  /** {@link #uniform()} that also requires quorum (Horde's UniformQuorumDistribution). */
  static DistributionStrategy uniformQuorum() {
    return new DistributionStrategy() {
      @Override
      public Optional<NodeId> choose(String id, List<NodeId> live, Map<String, Integer> load) {
        return Rendezvous.best(id, live);
      }

      @Override
      public boolean requiresQuorum() {
        return true;
      }
    };
  }

  /**
   * A uniformly random live node (not deterministic: failover claims may conflict, the CRDT
   * resolves).
   */
  static DistributionStrategy uniformRandom() {
    return (id, live, load) ->
        live.isEmpty()
            ? Optional.empty()
            : Optional.of(live.get(ThreadLocalRandom.current().nextInt(live.size())));
  }

  /**
   * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018): the first
   * node in the child's rendezvous order whose load stays within {@code (1 + epsilon)} times the
   * average. Keeps placements stable like {@link #uniform()} while no node takes more than its
   * share.
   */
  static DistributionStrategy boundedLoad(double epsilon) {
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("epsilon must be > 0, was " + epsilon);
    }
    return new DistributionStrategy() {
      @Override
      public Optional<NodeId> choose(String id, List<NodeId> live, Map<String, Integer> load) {
        if (live.isEmpty()) {
          return Optional.empty();
        }
        int total = 1;
        for (NodeId n : live) {
          total += load.getOrDefault(n.name(), 0);
        }
        double cap = Math.ceil((1 + epsilon) * total / live.size());
        for (NodeId n : Rendezvous.order(id, live)) {
          if (load.getOrDefault(n.name(), 0) + 1 <= cap) {
            return Optional.of(n);
          }
        }
        return Rendezvous.best(id, live);
      }

      @Override
      public boolean usesLoad() {
        return true;
      }
    };
  }

  /** Rendezvous hashing helpers. */
  final class Rendezvous {
    private Rendezvous() {}

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    /**
     * The weight of {@code node} for {@code childId}: FNV-1a over the UTF-8 bytes of {@code childId
     * + '\u0000' + node}, then a 64-bit finaliser. Every node of every version must compute the
     * same weights, so this is fixed.
     */
    static long weight(String childId, String node) {
      return weightOf(prefix(childId), node);
    }

    /** The hash state after {@code childId} and the separator, shared by every node's weight. */
    private static long prefix(String childId) {
      return feed(FNV_OFFSET, childId) * FNV_PRIME; // (h ^ 0) * prime: the separator
    }

    private static long weightOf(long prefix, String node) {
      long h = feed(prefix, node);
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      h ^= h >>> 33;
      return h;
    }

    /** FNV-1a over the UTF-8 bytes of {@code s}, without encoding an ASCII string. */
    private static long feed(long hash, String s) {
      long h = hash;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          for (byte b : s.substring(i).getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ b) * FNV_PRIME; // b sign-extended, as the bytes always were
          }
          return h;
        }
        h = (h ^ c) * FNV_PRIME;
      }
      return h;
    }

    /**
     * The member of {@code live} with the highest rendezvous weight for {@code key} (ties by name),
     * or empty if {@code live} is: every node that sees the same members picks the same one.
     */
    public static Optional<NodeId> best(String key, List<NodeId> live) {
      long prefix = prefix(key);
      NodeId best = null;
      long bestWeight = Long.MIN_VALUE;
      for (NodeId n : live) {
        long w = weightOf(prefix, n.name());
        if (best == null
            || w > bestWeight
            || (w == bestWeight && n.name().compareTo(best.name()) < 0)) {
          best = n;
          bestWeight = w;
        }
      }
      return Optional.ofNullable(best);
    }

    static List<NodeId> order(String childId, List<NodeId> live) {
      return live.stream()
          .sorted(
              (a, b) -> {
                int byWeight = Long.compare(weight(childId, b.name()), weight(childId, a.name()));
                return byWeight != 0 ? byWeight : a.name().compareTo(b.name());
              })
          .toList();
    }
  }
}
