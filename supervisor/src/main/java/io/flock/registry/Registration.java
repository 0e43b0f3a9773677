package io.flock.registry;

import static java.util.Objects.requireNonNull;

import io.flock.supervisor.ChildRef;
import java.util.Map;

/**
 * A name and the child it belongs to, with the owner's metadata. Immutable.
 *
 * @param name the registered name
 * @param ref the child that owns it (its node and generation)
 * @param meta the owner's metadata (small strings; part of the replicated value)
 */
public record Registration(String name, ChildRef ref, Map<String, String> meta) {
  /**
   * Copies {@code meta}.
   *
   * @throws NullPointerException if an argument is null
   */
  public Registration {
    requireNonNull(name, "name");
    requireNonNull(ref, "ref");
    meta = Map.copyOf(requireNonNull(meta, "meta"));
  }
}
