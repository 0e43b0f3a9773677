package io.flock.supervisor;

import io.flock.membership.NodeId;
import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A child's record in a distributed supervisor's replicated scope: its spec and where it runs.
 *
 * @param spec what to run
 * @param node the node (incarnation) assigned to run it
 * @param generation the placement generation (fencing token)
 * @param by the incarnation that wrote this placement (the arbiter of a start, the claimer of a
 *     failover, the node handing over): the target reports to it that the child started
 * @param terminated a terminate marker: the child is stopped and forgotten; it beats a concurrent
 *     claim of the same generation and is collected later
 */
record Placement(ChildSpec spec, NodeId node, long generation, NodeId by, boolean terminated) {

  Placement(ChildSpec spec, NodeId node, long generation, NodeId by) {
    this(spec, node, generation, by, false);
  }

  /**
   * The conflict order of concurrent placements of one child: generation first, then a terminate
   * marker over a placement, then the writer (name, incarnation). So a fast clock never wins over a
   * higher generation, and (generation, writer) is a unique, totally ordered fencing token: two
   * copies never carry the same one.
   */
  static final java.util.Comparator<Placement> ORDER =
      java.util.Comparator.comparingLong(Placement::generation)
          .thenComparing(Placement::terminated)
          .thenComparing(p -> p.by().name())
          .thenComparingLong(p -> p.by().incarnation());

  /** A terminate marker for this placement: generation + 1, written by {@code by}. */
  Placement terminatedBy(NodeId writer) {
    return new Placement(spec, node, generation + 1, writer, true);
  }

  /** Whether {@code other} is this very placement (same node, generation, writer and kind). */
  boolean sameAs(@Nullable Placement other) {
    return other != null
        && generation == other.generation
        && terminated == other.terminated
        && node.equals(other.node)
        && by.equals(other.by);
  }

  ChildRef ref() {
    return new ChildRef(spec.id(), node, generation);
  }

  /** The wire form of a placement, id 300 (in the supervisor's range of the wire id table). */
  static final class Format implements WireFormat<Placement> {
    @Override
    public void write(WireOutput out, Placement p) {
      writeSpec(out, p.spec());
      out.write(NodeId.class, p.node());
      out.writeVarLong(p.generation());
      out.write(NodeId.class, p.by());
      out.writeBoolean(p.terminated());
    }

    @Override
    public Placement read(WireInput in) {
      ChildSpec spec = readSpec(in);
      NodeId node = in.read(NodeId.class);
      long generation = in.readVarLong();
      NodeId by = in.read(NodeId.class);
      return new Placement(spec, node, generation, by, in.readBoolean());
    }

    static void writeSpec(WireOutput out, ChildSpec s) {
      out.writeString(s.id());
      out.writeString(s.factory());
      out.writeVarInt(s.args().size());
      s.args()
          .forEach(
              (k, v) -> {
                out.writeString(k);
                out.writeString(v);
              });
      out.writeString(s.restart().name());
      switch (s.shutdown()) {
        case Shutdown.Brutal b -> out.writeByte(0);
        case Shutdown.Infinity i -> out.writeByte(1);
        case Shutdown.Timeout t -> {
          out.writeByte(2);
          out.writeVarLong(t.timeout().toMillis());
        }
      }
      String name = s.name();
      out.writeBoolean(name != null);
      if (name != null) {
        out.writeString(name);
      }
    }

    static ChildSpec readSpec(WireInput in) {
      String id = in.readString();
      String factory = in.readString();
      int n = in.readVarInt();
      if (n < 0 || n > 10_000) {
        throw new IllegalArgumentException("malformed placement: " + n + " args");
      }
      Map<String, String> args = new HashMap<>();
      for (int i = 0; i < n; i++) {
        args.put(in.readString(), in.readString());
      }
      Restart restart = Restart.valueOf(in.readString());
      Shutdown shutdown =
          switch (in.readByte()) {
            case 0 -> new Shutdown.Brutal();
            case 1 -> new Shutdown.Infinity();
            case 2 -> new Shutdown.Timeout(Duration.ofMillis(in.readVarLong()));
            default -> throw new IllegalArgumentException("malformed placement: shutdown kind");
          };
      String name = in.readBoolean() ? in.readString() : null;
      return new ChildSpec(id, factory, args, restart, shutdown, name);
    }
  }
}
