package io.flock.crdt;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Which entries a peer may send: a delta interval carries only its sender's own writes (the buffer
 * holds local deltas only; a digest sync chunk is what carries others' entries), and in a map with
 * key owners every entry carries its key owner's dot (a member record only from its member).
 *
 * <p>Threading: stateless; any thread.
 */
final class EntryRules<K, V> {
  private final @Nullable Function<K, String> owner;

  EntryRules(@Nullable Function<K, String> owner) {
    this.owner = owner;
  }

  /**
   * Checks the entries of one message from {@code from}.
   *
   * @param onlySender whether every entry must be the sender's own write (a delta interval)
   * @throws IllegalArgumentException naming the first entry that breaks a rule
   */
  void check(ReplicaId from, Map<K, List<Dotted<V>>> entries, boolean onlySender) {
    Function<K, String> own = owner;
    for (Map.Entry<K, List<Dotted<V>>> e : entries.entrySet()) {
      for (Dotted<V> d : e.getValue()) {
        if (onlySender && !d.replica().equals(from)) {
          throw new IllegalArgumentException(
              "a delta interval from " + from + " carries a write of " + d.replica());
        }
        if (own != null && !d.replica().node().equals(own.apply(e.getKey()))) {
          throw new IllegalArgumentException(
              "an entry of " + e.getKey() + " written by " + d.replica() + ", not its owner");
        }
      }
    }
  }
}
