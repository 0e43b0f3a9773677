package io.flock.supervisor;

import io.flock.membership.NodeId;
import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * A child's checkpoint in the replicated scope {@code supervisor.<name>.checkpoints}: child id →
 * this record. Immutable: the state array is never changed after it is made, nor handed out.
 */
final class CheckpointRecord {
  private final long generation;
  private final long sequence;
  private final NodeId by;
  private final byte[] state;

  /**
   * @param generation the generation of the copy that saved it
   * @param sequence its place among that generation's saves (1 for the first)
   * @param by the incarnation whose copy saved it
   * @param state the saved bytes (owned by this record from now on)
   */
  CheckpointRecord(long generation, long sequence, NodeId by, byte[] state) {
    this.generation = generation;
    this.sequence = sequence;
    this.by = by;
    this.state = state;
  }

  long generation() {
    return generation;
  }

  long sequence() {
    return sequence;
  }

  NodeId by() {
    return by;
  }

  /**
   * The conflict order of concurrent checkpoints of one child: generation, then sequence, then the
   * writer. Never a clock, so a stale copy with a fast clock cannot win over a newer generation.
   */
  static final Comparator<CheckpointRecord> ORDER =
      Comparator.comparingLong(CheckpointRecord::generation)
          .thenComparingLong(CheckpointRecord::sequence)
          .thenComparing(r -> r.by().name())
          .thenComparingLong(r -> r.by().incarnation());

  /** The later of two (either may be null). */
  static @Nullable CheckpointRecord later(
      @Nullable CheckpointRecord a, @Nullable CheckpointRecord b) {
    if (a == null) {
      return b;
    }
    return b == null || ORDER.compare(a, b) >= 0 ? a : b;
  }

  Checkpoint toCheckpoint(String id) {
    return new Checkpoint(id, generation, sequence, by.name(), state);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof CheckpointRecord r
        && r.generation == generation
        && r.sequence == sequence
        && r.by.equals(by)
        && java.util.Arrays.equals(r.state, state);
  }

  @Override
  public int hashCode() {
    return (Long.hashCode(generation) * 31 + Long.hashCode(sequence)) * 31 + by.hashCode();
  }

  @Override
  public String toString() {
    return "CheckpointRecord[g"
        + generation
        + "#"
        + sequence
        + " by "
        + by
        + ", "
        + state.length
        + " bytes]";
  }

  /** The wire form, id 310. */
  static final class Format implements WireFormat<CheckpointRecord> {
    /** The largest state read: the largest value a cluster takes. */
    private static final int MAX_STATE_BYTES = 1 << 20;

    @Override
    public void write(WireOutput out, CheckpointRecord r) {
      out.writeVarLong(r.generation());
      out.writeVarLong(r.sequence());
      out.write(NodeId.class, r.by());
      out.writeBytes(r.state);
    }

    @Override
    public CheckpointRecord read(WireInput in) {
      long generation = in.readVarLong();
      long sequence = in.readVarLong();
      NodeId by = in.read(NodeId.class);
      return new CheckpointRecord(generation, sequence, by, in.readBytes(MAX_STATE_BYTES));
    }
  }
}
