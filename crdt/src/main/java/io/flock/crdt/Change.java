package io.flock.crdt;

import static java.util.Objects.requireNonNull;

/**
 * One change of a map's visible content caused by a {@link AWLWWMap#join join}: what the supervisor
 * reconciles on. A key whose visible value did not change is not reported.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public sealed interface Change<K, V> {

  /** The key that changed. */
  K key();

  /** A key became visible. */
  record Added<K, V>(K key, V newValue) implements Change<K, V> {
    /** Validates that no component is null. */
    public Added {
      requireNonNull(key, "key");
      requireNonNull(newValue, "newValue");
    }
  }

  /** A visible key's value changed. */
  record Updated<K, V>(K key, V oldValue, V newValue) implements Change<K, V> {
    /** Validates that no component is null. */
    public Updated {
      requireNonNull(key, "key");
      requireNonNull(oldValue, "oldValue");
      requireNonNull(newValue, "newValue");
    }
  }

  /** A visible key disappeared. */
  record Removed<K, V>(K key, V oldValue) implements Change<K, V> {
    /** Validates that no component is null. */
    public Removed {
      requireNonNull(key, "key");
      requireNonNull(oldValue, "oldValue");
    }
  }
}
