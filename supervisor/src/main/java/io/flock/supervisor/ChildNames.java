package io.flock.supervisor;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where a distributed supervisor keeps the names of its children ({@link ChildSpec#name}): a {@code
 * io.flock.registry.Registry}. The supervisor registers a child's name when the child starts at a
 * placement, unregisters it when the child ends for good, and stops a child of its node that lost
 * its name to a concurrent registration (as Horde does).
 *
 * <p>Threading: called on the cluster's core thread; implementations must not block.
 */
public interface ChildNames {
  /**
   * Registers {@code name} for {@code ref}; the same child (same id) may register it again at a new
   * placement. Completes exceptionally if another child holds the name, or when not acknowledged in
   * time.
   */
  CompletableFuture<?> register(String name, ChildRef ref);

  /** Unregisters {@code name} if the child of {@code ref} (by id) holds it; otherwise nothing. */
  void unregisterIfHeld(String name, ChildRef ref);

  /** Told, on the loser's node, that one of its children lost a name. */
  @FunctionalInterface
  interface ConflictListener {
    /** {@code loser} (a child of this node) lost {@code name} to {@code winner}. */
    void lost(String name, ChildRef loser, ChildRef winner);
  }

  /**
   * Adds {@code listener}, told on this node of each of this node's children that lost a name to a
   * concurrent registration (exactly once per loss).
   */
  void onConflictLost(ConflictListener listener);

  /** The child that holds {@code name} in this node's replica (any thread, no remote call). */
  Optional<ChildRef> lookup(String name);
}
