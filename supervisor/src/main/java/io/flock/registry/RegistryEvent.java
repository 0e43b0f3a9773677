package io.flock.registry;

/** What a {@link Registry} tells its listeners, in the order this node learned it. */
public sealed interface RegistryEvent {
  /** The name concerned. */
  String name();

  /** A name was registered (or moved to a new owner, or its metadata changed). */
  record Registered(Registration registration) implements RegistryEvent {
    @Override
    public String name() {
      return registration.name();
    }
  }

  /** A name was unregistered, or went with its owner's node (known gone). */
  record Unregistered(Registration registration) implements RegistryEvent {
    @Override
    public String name() {
      return registration.name();
    }
  }

  /**
   * Two children registered one name concurrently (on both sides of a partition) and {@code loser}
   * lost by the registry's conflict order. Told once, on the loser's own node only.
   */
  record ConflictLost(Registration loser, Registration winner) implements RegistryEvent {
    @Override
    public String name() {
      return loser.name();
    }
  }
}
