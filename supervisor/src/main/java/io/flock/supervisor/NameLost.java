package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

/**
 * The message a child finds in its mailbox ({@link ChildContext#receive}) when it lost its name to
 * a concurrent registration made across a partition, before it is stopped for good: the chance to
 * hand its state to the winner (Horde users' wish, elixir-horde #161), for instance with {@code
 * messenger.ask(winner, state, deadline)}. Sent only when the supervisor was built with {@link
 * DistributedSupervisor.Builder#nameConflictHandOff}; the child is stopped when that window ends,
 * whatever it does meanwhile (a child that returns early may be restarted until then).
 *
 * @param name the name it lost
 * @param winner the child that holds the name now
 */
public record NameLost(String name, ChildRef winner) {
  /** Refuses nulls (naming the parameter). */
  public NameLost {
    requireNonNull(name, "name");
    requireNonNull(winner, "winner");
  }
}
