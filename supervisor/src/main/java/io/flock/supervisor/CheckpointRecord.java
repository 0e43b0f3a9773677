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
  private final long baseGeneration;
  private final long baseSequence;

  /**
   * @param generation the generation of the copy that saved it
   * @param sequence its place among that generation's saves (1 for the first)
   * @param by the incarnation whose copy saved it
   * @param state the saved bytes (owned by this record from now on)
   * @param baseGeneration with {@code baseSequence}: the checkpoint of an earlier generation the
   *     saving copy's line continues (the record its node held when the generation first saved; 0,
   *     0 for none). A record of a lower generation above this base was saved by a copy that ran
   *     beside this one (a partition): a conflict whose loser's state may be handed to the winner.
   */
  CheckpointRecord(
      long generation,
      long sequence,
      NodeId by,
      byte[] state,
      long baseGeneration,
      long baseSequence) {
    this.generation = generation;
    this.sequence = sequence;
    this.by = by;
    this.state = state;
    this.baseGeneration = baseGeneration;
    this.baseSequence = baseSequence;
  }

  long baseGeneration() {
    return baseGeneration;
  }

  long baseSequence() {
    return baseSequence;
  }

  /**
   * Whether {@code older}, of a lower generation, holds saves this record's line never continued
   * from: it is above this record's base (a copy that ran beside this one and lost).
   */
  boolean supersedesUnseen(CheckpointRecord older) {
    if (older.generation >= generation) {
      return false;
    }
    return older.generation > baseGeneration
        || (older.generation == baseGeneration && older.sequence > baseSequence);
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
        && r.baseGeneration == baseGeneration
        && r.baseSequence == baseSequence
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
      out.writeVarLong(r.baseGeneration);
      out.writeVarLong(r.baseSequence);
    }

    @Override
    public CheckpointRecord read(WireInput in) {
      long generation = in.readVarLong();
      long sequence = in.readVarLong();
      NodeId by = in.read(NodeId.class);
      byte[] state = in.readBytes(MAX_STATE_BYTES);
      return new CheckpointRecord(
          generation, sequence, by, state, in.readVarLong(), in.readVarLong());
    }
  }
}
