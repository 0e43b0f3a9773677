package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * A child's saved state: what {@link ChildContext#save} stored and {@link ChildContext#load}
 * returns, so a restarted or moved child resumes from it. Checkpoints of one child are ordered by
 * ({@link #generation}, {@link #sequence}), never by a clock: a copy of an older generation can
 * neither replace nor be read over a newer one.
 *
 * <p>Immutable and thread-safe; {@link #state} returns a copy.
 */
public final class Checkpoint {
  private final String id;
  private final long generation;
  private final long sequence;
  private final String node;
  private final byte[] state;

  Checkpoint(String id, long generation, long sequence, String node, byte[] state) {
    this.id = requireNonNull(id, "id");
    this.generation = generation;
    this.sequence = sequence;
    this.node = requireNonNull(node, "node");
    this.state = requireNonNull(state, "state");
  }

  /** The child's id. */
  public String id() {
    return id;
  }

  /** The generation of the copy that saved it. */
  public long generation() {
    return generation;
  }

  /** Its place among the saves of that generation: 1 for the first. */
  public long sequence() {
    return sequence;
  }

  /** The name of the node whose copy saved it. */
  public String node() {
    return node;
  }

  /** The saved bytes (a copy). */
  public byte[] state() {
    return state.clone();
  }

  /** The number of saved bytes. */
  public int size() {
    return state.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c
        && c.id.equals(id)
        && c.generation == generation
        && c.sequence == sequence
        && c.node.equals(node)
        && Arrays.equals(c.state, state);
  }

  @Override
  public int hashCode() {
    return (id.hashCode() * 31 + Long.hashCode(generation)) * 31 + Long.hashCode(sequence);
  }

  @Override
  public String toString() {
    return "Checkpoint["
        + id
        + " g"
        + generation
        + "#"
        + sequence
        + " on "
        + node
        + ", "
        + state.length
        + " bytes]";
  }
}
