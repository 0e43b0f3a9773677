package io.flock.supervisor;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.membership.NodeId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A child's record in a distributed supervisor's replicated scope: its spec and where it runs.
 *
 * @param spec what to run
 * @param node the node (incarnation) assigned to run it
 * @param generation the placement generation (fencing token)
 */
record Placement(ChildSpec spec, NodeId node, long generation) {

  ChildRef ref() {
    return new ChildRef(spec.id(), node, generation);
  }

  /** Registers the wire form (Kryo id 300). */
  static void register(Kryo kryo) {
    kryo.register(Placement.class, new PlacementSerializer(), 300);
  }

  static final class PlacementSerializer extends Serializer<Placement> {
    PlacementSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, Placement p) {
      ChildSpec s = p.spec();
      out.writeString(s.id());
      out.writeString(s.factory());
      out.writeVarInt(s.args().size(), true);
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
          out.writeVarLong(t.timeout().toMillis(), true);
        }
      }
      kryo.writeObject(out, p.node());
      out.writeVarLong(p.generation(), true);
    }

    @Override
    public Placement read(Kryo kryo, Input in, Class<? extends Placement> type) {
      try {
        String id = in.readString();
        String factory = in.readString();
        int n = in.readVarInt(true);
        if (n < 0 || n > 10_000) {
          throw new KryoException("malformed placement: " + n + " args");
        }
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < n; i++) {
          args.put(in.readString(), in.readString());
        }
        Restart restart = Restart.valueOf(String.valueOf(in.readString()));
        Shutdown shutdown =
            switch (in.readByte()) {
              case 0 -> new Shutdown.Brutal();
              case 1 -> new Shutdown.Infinity();
              case 2 -> new Shutdown.Timeout(Duration.ofMillis(in.readVarLong(true)));
              default -> throw new KryoException("malformed placement: shutdown kind");
            };
        NodeId node = kryo.readObject(in, NodeId.class);
        long generation = in.readVarLong(true);
        return new Placement(new ChildSpec(id, factory, args, restart, shutdown), node, generation);
      } catch (RuntimeException e) {
        throw e instanceof KryoException k ? k : new KryoException("malformed placement", e);
      }
    }
  }
}
