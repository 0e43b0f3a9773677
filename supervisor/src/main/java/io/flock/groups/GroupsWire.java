package io.flock.groups;

import io.flock.membership.NodeId;
import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import io.flock.membership.WireTypes;
import io.flock.supervisor.ChildRef;

/** The process groups' wire types. */
final class GroupsWire {
  private GroupsWire() {}

  /** The name of the set of wire types. */
  static final String MODULE = "flock.groups";

  static final WireTypes TYPES =
      WireTypes.builder(MODULE).add(450, Membership.class, new Format()).build();

  /** A membership on the wire: group, member (id, node, generation), count. */
  static final class Format implements WireFormat<Membership> {
    @Override
    public void write(WireOutput out, Membership m) {
      out.writeString(m.group());
      out.writeString(m.ref().id());
      out.write(NodeId.class, m.ref().node());
      out.writeVarLong(m.ref().generation());
      out.writeVarInt(m.count());
    }

    @Override
    public Membership read(WireInput in) {
      String group = in.readString();
      String id = in.readString();
      NodeId node = in.read(NodeId.class);
      long generation = in.readVarLong();
      int count = in.readVarInt();
      if (count < 1) {
        throw new IllegalArgumentException("malformed membership: count " + count);
      }
      return new Membership(group, new ChildRef(id, node, generation), count);
    }
  }
}
