package io.flock.crdt;

import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A replicator's retirement of old incarnations. {@link #retire} marks the incarnations of a node
 * below a floor as ended: their messages are dropped from then on; the floor is announced to every
 * neighbour in its status; the context entries are pruned only when every neighbour has announced
 * the same floor and is in agreement (it reports the same root digest and no sync with it is in
 * progress), so no dot of a retired incarnation can still arrive that the replica has not seen (the
 * {@link AWLWWMap#prune} safety condition).
 *
 * <p>Not thread-safe: the replicator's owner thread.
 */
final class Retirement {
  private final AWLWWMap<?, ?> map;
  private final TreeMap<String, Long> retiring = new TreeMap<>();

  /** Per neighbour, the highest floor per node it ever announced: a promise to refuse those. */
  private final Map<ReplicaId, Map<String, Long>> refuses = new HashMap<>();

  /** Per neighbour, what its latest status announced (it still waits on these). */
  private final Map<ReplicaId, Map<String, Long>> announcing = new HashMap<>();

  Retirement(AWLWWMap<?, ?> map) {
    this.map = map;
  }

  /** Whether {@code id} is an ended incarnation (pending or pruned). */
  boolean isRetired(ReplicaId id) {
    Long floor = retiring.get(id.node());
    return (floor != null && id.incarnation() < floor) || map.context().isRetired(id);
  }

  /** Marks the incarnations of {@code node} below {@code below} as ended, unless already pruned. */
  void retire(String node, long below) {
    if (map.context().retiredBelow().getOrDefault(node, 0L) < below) {
      retiring.merge(node, below, Math::max);
    }
  }

  /** Keeps the neighbour records of {@code peers} only. */
  void retainPeers(Collection<ReplicaId> peers) {
    refuses.keySet().retainAll(peers);
    announcing.keySet().retainAll(peers);
  }

  /** A status of {@code peer} announced {@code floors}. */
  void heard(ReplicaId peer, Map<String, Long> floors) {
    Map<String, Long> promised = refuses.computeIfAbsent(peer, p -> new HashMap<>());
    floors.forEach((node, below) -> promised.merge(node, below, Math::max));
    announcing.put(peer, floors);
  }

  /**
   * The floors to announce to {@code peer}: every pending retirement, and each pruned floor the
   * neighbour has never announced or still announces (it may be waiting for our agreement).
   */
  Map<String, Long> announcement(ReplicaId peer) {
    Map<String, Long> pruned = map.context().retiredBelow();
    if (retiring.isEmpty() && pruned.isEmpty()) {
      return Map.of();
    }
    Map<String, Long> promised = refuses.getOrDefault(peer, Map.of());
    Map<String, Long> waiting = announcing.getOrDefault(peer, Map.of());
    Map<String, Long> out = new TreeMap<>(retiring);
    pruned.forEach(
        (node, below) -> {
          if (promised.getOrDefault(node, 0L) < below || waiting.containsKey(node)) {
            out.merge(node, below, Math::max);
          }
        });
    return out;
  }

  /**
   * Prunes each pending retirement every one of {@code peers} agrees to.
   *
   * @return whether any was pruned
   */
  boolean tryPrune(Collection<ReplicaId> peers, Predicate<ReplicaId> inAgreement) {
    boolean pruned = false;
    for (Iterator<Map.Entry<String, Long>> it = retiring.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Long> e = it.next();
      String node = e.getKey();
      long below = e.getValue();
      boolean agreed = true;
      for (ReplicaId peer : peers) {
        // A later incarnation of the node itself never takes messages from the earlier ones.
        boolean refused =
            peer.node().equals(node)
                ? peer.incarnation() >= below
                : refuses.getOrDefault(peer, Map.of()).getOrDefault(node, 0L) >= below;
        agreed &= refused && inAgreement.test(peer);
      }
      if (agreed) {
        map.pruneAgreed(node, below);
        it.remove();
        pruned = true;
      }
    }
    return pruned;
  }

  /** Retirements announced but not yet pruned: node name to floor. */
  Map<String, Long> pending() {
    return java.util.Collections.unmodifiableMap(retiring);
  }

  /** What {@code peer} has promised to refuse, for status lines. */
  Map<String, Long> refusedBy(ReplicaId peer) {
    return new TreeMap<>(refuses.getOrDefault(peer, Map.of()));
  }
}
