package io.flock.supervisor;

import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import org.jspecify.annotations.Nullable;

/** The checkpoint read, between a loading node and the members it asks (wire ids 311–312). */
final class CheckpointWire {
  private CheckpointWire() {}

  /** Loading node → a member: which checkpoint of {@code id} do you hold? */
  record Read(String id) {}

  /**
   * Member → loading node: the checkpoint it holds, or null for none; {@code whole} when its
   * replica holds every save a majority acknowledged (see {@code Checkpoints}).
   */
  record Held(@Nullable CheckpointRecord record, boolean whole) {}

  static final class ReadFormat implements WireFormat<Read> {
    @Override
    public void write(WireOutput out, Read r) {
      out.writeString(r.id());
    }

    @Override
    public Read read(WireInput in) {
      return new Read(in.readString());
    }
  }

  static final class HeldFormat implements WireFormat<Held> {
    private final CheckpointRecord.Format records = new CheckpointRecord.Format();

    @Override
    public void write(WireOutput out, Held h) {
      CheckpointRecord r = h.record();
      out.writeBoolean(h.whole());
      out.writeBoolean(r != null);
      if (r != null) {
        records.write(out, r);
      }
    }

    @Override
    public Held read(WireInput in) {
      boolean whole = in.readBoolean();
      return new Held(in.readBoolean() ? records.read(in) : null, whole);
    }
  }
}
