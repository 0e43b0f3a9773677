package io.flock.registry;

import io.flock.membership.NodeId;
import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import io.flock.membership.WireTypes;
import io.flock.supervisor.ChildRef;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/** The registry's wire types and its conflict order. */
final class RegistryWire {
  private RegistryWire() {}

  /** The name of the registry's set of wire types. */
  static final String MODULE = "flock.registry";

  static final WireTypes TYPES =
      WireTypes.builder(MODULE).add(400, Registration.class, new Format()).build();

  /**
   * The order of two registrations of one name made concurrently (a causally later write always
   * replaces an earlier one; this decides only between writes that did not see each other); the
   * greater wins. The owner's higher generation first (a child that moved beats its stale copy),
   * then the owner node's <em>older</em> incarnation (the longer-lived node), then the node's name,
   * then the child's id. No clock takes part: a paused or stale node cannot win by a later
   * timestamp.
   */
  static final Comparator<Registration> ORDER =
      Comparator.<Registration>comparingLong(r -> r.ref().generation())
          .thenComparingLong(r -> -r.ref().node().incarnation())
          .thenComparing(r -> r.ref().node().name(), Comparator.reverseOrder())
          .thenComparing(r -> r.ref().id(), Comparator.reverseOrder());

  /** A registration on the wire: name, owner (id, node, generation), metadata. */
  static final class Format implements WireFormat<Registration> {
    @Override
    public void write(WireOutput out, Registration r) {
      out.writeString(r.name());
      out.writeString(r.ref().id());
      out.write(NodeId.class, r.ref().node());
      out.writeVarLong(r.ref().generation());
      out.writeVarInt(r.meta().size());
      r.meta()
          .forEach(
              (k, v) -> {
                out.writeString(k);
                out.writeString(v);
              });
    }

    @Override
    public Registration read(WireInput in) {
      String name = in.readString();
      String id = in.readString();
      NodeId node = in.read(NodeId.class);
      long generation = in.readVarLong();
      int n = in.readVarInt();
      if (n < 0 || n > 10_000) {
        throw new IllegalArgumentException("malformed registration: " + n + " metadata entries");
      }
      Map<String, String> meta = new HashMap<>();
      for (int i = 0; i < n; i++) {
        meta.put(in.readString(), in.readString());
      }
      return new Registration(name, new ChildRef(id, node, generation), meta);
    }
  }
}
