package io.flock.membership;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.crdt.ReplicationMessage;
import java.util.ArrayList;
import java.util.List;

/** The cluster layer's wire messages and their Kryo registration (ids 200–219). */
final class ClusterMessages {
  private ClusterMessages() {}

  /** A member's own record in the member scope. */
  record MemberRecord(NodeId id, MemberStatus status) {}

  /** The explicit member set ({@link Cluster#setMembers}), sorted. */
  record MemberSet(List<String> names) {
    MemberSet {
      names = List.copyOf(names);
    }
  }

  /** A replication message of one scope. */
  record Scoped(String scope, ReplicationMessage<?, ?> message) {}

  /** Proof of life. */
  record Heartbeat() {}

  /** A new node asks a seed to let it in. */
  record JoinRequest(NodeId joiner) {}

  /** The seed's answer: the members it knows. */
  @SuppressWarnings("ArrayRecordComponent") // a one-shot message, never compared
  record JoinAccepted(NodeId[] members) {}

  static void register(Kryo kryo) {
    kryo.register(MemberStatus.class, 200);
    kryo.register(MemberRecord.class, 201);
    kryo.register(String[].class, 202);
    kryo.register(
        MemberSet.class,
        new Serializer<MemberSet>() {
          @Override
          public void write(Kryo k, Output out, MemberSet set) {
            out.writeVarInt(set.names().size(), true);
            set.names().forEach(out::writeString);
          }

          @Override
          public MemberSet read(Kryo k, Input in, Class<? extends MemberSet> type) {
            int n = in.readVarInt(true);
            if (n < 0 || n > 100_000) {
              throw new KryoException("malformed member set of " + n);
            }
            List<String> names = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              String name = in.readString();
              if (name == null) {
                throw new KryoException("malformed member set: null name");
              }
              names.add(name);
            }
            return new MemberSet(names);
          }
        },
        203);
    kryo.register(Scoped.class, 204);
    kryo.register(Heartbeat.class, 205);
    kryo.register(JoinRequest.class, 206);
    kryo.register(NodeId[].class, 207);
    kryo.register(JoinAccepted.class, 208);
  }
}
