package io.flock.registry;

import io.flock.membership.NodeId;
import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import io.flock.membership.WireTypes;
import io.flock.supervisor.ChildRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The registry's wire types and its conflict order. */
final class RegistryWire {
  private RegistryWire() {}

  /** The name of the registry's set of wire types. */
  static final String MODULE = "flock.registry";

  static final WireTypes TYPES =
      WireTypes.builder(MODULE)
          .add(400, Registration.class, new Format())
          .add(401, WriteRequest.class, new RequestFormat())
          .add(402, WriteReply.class, new ReplyFormat())
          .add(403, WriteBatch.class, new BatchFormat())
          .add(404, WriteReplies.class, new RepliesFormat())
          .build();

  /** The most writes in one batch (a batch larger than this is malformed). */
  static final int MAX_BATCH = 512;

  /** The kinds of write an arbiter decides. */
  static final int REGISTER = 0;

  static final int UNREGISTER = 1;
  static final int PUT_META = 2;

  /**
   * Origin → the name's arbiter: one write ({@code wanted} is the registration for {@link
   * #REGISTER}, carries the metadata for {@link #PUT_META}, is null for {@link #UNREGISTER}).
   */
  record WriteRequest(int op, String name, @Nullable Registration wanted) {}

  /** Arbiter → origin: done ({@code reason} null, with the result) or why not (and the owner). */
  record WriteReply(@Nullable String reason, String message, @Nullable Registration registration) {}

  /** Origin → one arbiter: the writes for names it arbitrates made in one burst, in order. */
  record WriteBatch(List<WriteRequest> writes) {}

  /** Arbiter → origin: one reply per write of a {@link WriteBatch}, in its order. */
  record WriteReplies(List<WriteReply> replies) {}

  static final class BatchFormat implements WireFormat<WriteBatch> {
    private final RequestFormat one = new RequestFormat();

    @Override
    public void write(WireOutput out, WriteBatch b) {
      out.writeVarInt(b.writes().size());
      b.writes().forEach(w -> one.write(out, w));
    }

    @Override
    public WriteBatch read(WireInput in) {
      int n = count(in);
      List<WriteRequest> writes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        writes.add(one.read(in));
      }
      return new WriteBatch(List.copyOf(writes));
    }
  }

  static final class RepliesFormat implements WireFormat<WriteReplies> {
    private final ReplyFormat one = new ReplyFormat();

    @Override
    public void write(WireOutput out, WriteReplies r) {
      out.writeVarInt(r.replies().size());
      r.replies().forEach(w -> one.write(out, w));
    }

    @Override
    public WriteReplies read(WireInput in) {
      int n = count(in);
      List<WriteReply> replies = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        replies.add(one.read(in));
      }
      return new WriteReplies(List.copyOf(replies));
    }
  }

  private static int count(WireInput in) {
    int n = in.readVarInt();
    if (n < 0 || n > MAX_BATCH) {
      throw new IllegalArgumentException("malformed registry batch: " + n + " writes");
    }
    return n;
  }

  static final class RequestFormat implements WireFormat<WriteRequest> {
    @Override
    public void write(WireOutput out, WriteRequest r) {
      out.writeVarInt(r.op());
      out.writeString(r.name());
      writeNullable(out, r.wanted());
    }

    @Override
    public WriteRequest read(WireInput in) {
      int op = in.readVarInt();
      if (op < REGISTER || op > PUT_META) {
        throw new IllegalArgumentException("malformed registry write: op " + op);
      }
      return new WriteRequest(op, in.readString(), readNullable(in));
    }
  }

  static final class ReplyFormat implements WireFormat<WriteReply> {
    @Override
    public void write(WireOutput out, WriteReply r) {
      String reason = r.reason();
      out.writeBoolean(reason != null);
      if (reason != null) {
        out.writeString(reason);
      }
      out.writeString(r.message());
      writeNullable(out, r.registration());
    }

    @Override
    public WriteReply read(WireInput in) {
      String reason = in.readBoolean() ? in.readString() : null;
      String message = in.readString();
      return new WriteReply(reason, message, readNullable(in));
    }
  }

  private static void writeNullable(WireOutput out, @Nullable Registration r) {
    out.writeBoolean(r != null);
    if (r != null) {
      out.write(Registration.class, r);
    }
  }

  private static @Nullable Registration readNullable(WireInput in) {
    return in.readBoolean() ? in.read(Registration.class) : null;
  }

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
