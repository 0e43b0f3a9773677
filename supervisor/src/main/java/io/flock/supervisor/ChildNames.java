package io.flock.supervisor;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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

  /**
   * Adds {@code loser}, told on this node, with this node's child that lost a name to a concurrent
   * registration.
   */
  void onConflictLost(Consumer<ChildRef> loser);

  /** The child that holds {@code name} in this node's replica (any thread, no remote call). */
  Optional<ChildRef> lookup(String name);
}
