package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;

/**
 * The state of a copy that lost a conflict, handed to the copy that won (Swarm's {@code
 * resolve_conflict}): with the plain strategy a partition can let two copies of a child run and
 * save, each on its side; after the heal the higher generation wins and the loser's saves made
 * beside it would be dropped. With {@link DistributedSupervisor.Builder#handOffLostCheckpoints()},
 * the node that ran the loser tells the winner this message (read it with {@code ctx.receive()}),
 * so it can merge {@link #checkpoint()} into its own state and save the result. Without it the
 * winner's state is kept and the loser's is dropped.
 *
 * @param checkpoint the loser's last checkpoint (its generation is lower than the winner's)
 */
public record LostCheckpoint(Checkpoint checkpoint) {
  /** Validates. */
  public LostCheckpoint {
    requireNonNull(checkpoint, "checkpoint");
  }

  /** Its wire format (id 313). */
  static final class Format implements WireFormat<LostCheckpoint> {
    private static final int MAX_STATE_BYTES = 1 << 20;

    @Override
    public void write(WireOutput out, LostCheckpoint m) {
      Checkpoint c = m.checkpoint();
      out.writeString(c.id());
      out.writeVarLong(c.generation());
      out.writeVarLong(c.sequence());
      out.writeString(c.node());
      out.writeBytes(c.state());
    }

    @Override
    public LostCheckpoint read(WireInput in) {
      String id = in.readString();
      long generation = in.readVarLong();
      long sequence = in.readVarLong();
      String node = in.readString();
      return new LostCheckpoint(
          new Checkpoint(id, generation, sequence, node, in.readBytes(MAX_STATE_BYTES)));
    }
  }
}
