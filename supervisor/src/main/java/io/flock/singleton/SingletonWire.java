package io.flock.singleton;

import io.flock.membership.NodeId;
import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import io.flock.membership.WireTypes;
import java.util.HashMap;
import java.util.Map;

/** The singleton's wire types. */
final class SingletonWire {
  private SingletonWire() {}

  /** The name of the set of wire types. */
  static final String MODULE = "flock.singleton";

  /** The most dump entries a record may carry. */
  static final int MAX_DUMP_ENTRIES = 1024;

  static final WireTypes TYPES =
      WireTypes.builder(MODULE).add(500, LeaderRecord.class, new Format()).build();

  /** A leader record on the wire. */
  static final class Format implements WireFormat<LeaderRecord> {
    @Override
    public void write(WireOutput out, LeaderRecord r) {
      out.write(NodeId.class, r.leader());
      out.writeVarLong(r.generation());
      out.writeVarInt(r.incarnation());
      out.writeVarLong(r.seq());
      out.writeVarLong(r.sinceMillis());
      out.writeVarLong(r.dumpedAtMillis());
      out.writeVarInt(r.dump().size());
      for (Map.Entry<String, String> e : r.dump().entrySet()) {
        out.writeString(e.getKey());
        out.writeString(e.getValue());
      }
    }

    @Override
    public LeaderRecord read(WireInput in) {
      NodeId leader = in.read(NodeId.class);
      long generation = in.readVarLong();
      int incarnation = in.readVarInt();
      long seq = in.readVarLong();
      long since = in.readVarLong();
      long dumpedAt = in.readVarLong();
      int n = in.readVarInt();
      if (n > MAX_DUMP_ENTRIES) {
        throw new IllegalArgumentException("malformed leader record: " + n + " dump entries");
      }
      Map<String, String> dump = new HashMap<>();
      for (int i = 0; i < n; i++) {
        dump.put(in.readString(), in.readString());
      }
      return new LeaderRecord(leader, generation, incarnation, seq, since, dumpedAt, dump);
    }
  }
}
