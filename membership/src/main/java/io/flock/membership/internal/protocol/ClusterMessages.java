package io.flock.membership.internal.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.crdt.ReplicationMessage;
import io.flock.membership.MemberStatus;
import io.flock.membership.NodeId;
import io.flock.membership.internal.wire.WireRange;
import java.util.ArrayList;
import java.util.List;

/** The membership layer's wire messages and their registration ({@link WireRange#MEMBERSHIP}). */
public final class ClusterMessages {
  private ClusterMessages() {}

  /** A member's own record in the member scope. */
  public record MemberRecord(NodeId id, MemberStatus status, boolean handedOver) {
    /** A record of a status other than a graceful {@code LEFT}. */
    public MemberRecord(NodeId id, MemberStatus status) {
      this(id, status, false);
    }
  }

  /** The explicit member set, sorted. */
  public record MemberSet(List<String> names) {
    public MemberSet {
      names = List.copyOf(names);
    }
  }

  /** A replication message of one scope. */
  public record Scoped(String scope, ReplicationMessage<?, ?> message) {}

  /**
   * Proof of life, and the lease protocol's request and answer: {@code sentAt} on the sender's
   * monotonic clock, whether the sender is fenced (a member holding no lease), the members it has
   * not acknowledged for the lapse threshold (its evidence), and {@code acks}: the send time of the
   * newest heartbeat of the recipient (that incarnation) it received, which it thereby acknowledges
   * ({@link #NONE} if none). Acknowledging in the next heartbeat instead of a message of its own
   * halves an idle cluster's messages; the lease is renewed up to a heartbeat interval later.
   */
  @SuppressWarnings("ArrayRecordComponent") // a one-shot message, never compared
  public record Heartbeat(long sentAt, boolean fenced, String[] unacked, long acks) {
    /** {@link #acks} when the sender received no heartbeat of the recipient yet. */
    public static final long NONE = Long.MIN_VALUE;

    /** This heartbeat, acknowledging {@code acks} of its recipient. */
    public Heartbeat acking(long acks) {
      return new Heartbeat(sentAt, fenced, unacked, acks);
    }
  }

  /** A new node asks a seed to let it in. */
  public record JoinRequest(NodeId joiner) {}

  /** The seed's answer: the members it knows. */
  @SuppressWarnings("ArrayRecordComponent") // a one-shot message, never compared
  public record JoinAccepted(NodeId[] members) {}

  /**
   * A node's answer while it belongs to no cluster yet (the formation rule's input); {@code
   * mayForm} is false once it knows it is not among its own seeds, so it will never form a cluster
   * and nobody waits for it to.
   */
  public record NotJoined(NodeId member, boolean mayForm) {}

  /** Tells {@code member} that its incarnation was removed from the cluster. */
  public record Removed(NodeId member) {}

  /**
   * Tells {@code member} that a node holding quorum declared its incarnation down: it must stop its
   * work and rejoin as a new incarnation.
   */
  public record YouAreDown(NodeId member) {}

  /** A message to a named endpoint; {@code requestId} 0 wants no reply. */
  public record EndpointMessage(String endpoint, long requestId, Object body) {}

  /** A request's answer. */
  public record Reply(long requestId, Object body) {}

  /** A request's answer without a body (the handler returned null). */
  public record EmptyReply(long requestId) {}

  /** A request failed at the receiver (no such endpoint, the handler threw). */
  public record FailedReply(long requestId, String reason) {}

  /**
   * What a node keeps on disk of its membership: the cluster life it was in and the members it knew
   * then (a later life takes them as ended processes).
   */
  @SuppressWarnings("ArrayRecordComponent") // encoded as the wire encodes NodeId[]
  public record LifeRecord(long life, NodeId[] members) {}

  /** Registers every type above at its id in {@link WireRange#MEMBERSHIP}. */
  public static void register(Kryo kryo) {
    kryo.register(MemberStatus.class, 200);
    kryo.register(MemberRecord.class, 201);
    kryo.register(MemberSet.class, new MemberSetSerializer(), 203);
    kryo.register(Scoped.class, 204);
    kryo.register(Heartbeat.class, 205);
    kryo.register(JoinRequest.class, 206);
    kryo.register(NodeId[].class, 207);
    kryo.register(JoinAccepted.class, 208);
    kryo.register(EndpointMessage.class, 209);
    kryo.register(Reply.class, 210);
    kryo.register(EmptyReply.class, 211);
    kryo.register(FailedReply.class, 212);
    kryo.register(NotJoined.class, 213);
    // 214: HeartbeatAck, acknowledgements now ride in the next Heartbeat
    kryo.register(Removed.class, 215);
    kryo.register(YouAreDown.class, 216);
    kryo.register(LifeRecord.class, 217);
  }

  private static final class MemberSetSerializer extends Serializer<MemberSet> {
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
      List<String> names = new ArrayList<>(Math.min(n, 1024));
      for (int i = 0; i < n; i++) {
        String name = in.readString();
        if (name == null) {
          throw new KryoException("malformed member set: null name");
        }
        names.add(name);
      }
      return new MemberSet(names);
    }
  }
}
