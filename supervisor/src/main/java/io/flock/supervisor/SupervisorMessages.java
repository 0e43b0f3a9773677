package io.flock.supervisor;

import io.flock.membership.NodeId;
import io.flock.membership.WireFormat;
import io.flock.membership.WireInput;
import io.flock.membership.WireOutput;
import io.flock.membership.WireTypes;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** What distributed supervisors tell each other, with their wire forms (ids 300–312). */
final class SupervisorMessages {
  private SupervisorMessages() {}

  /**
   * A node's entry in a supervisor's roster: whether this supervisor runs there and which factories
   * it has. Only nodes whose entry is running and has a child's factory are chosen for it.
   */
  record RosterEntry(NodeId node, List<String> factories, boolean running, boolean handingOver) {}

  /** Origin → arbiter: start this child (the arbiter decides, places and waits for the start). */
  record StartRequest(ChildSpec spec) {}

  /**
   * Arbiter → origin: the outcome of a start.
   *
   * @param reason null when the child runs, else the {@link SupervisorException.Reason}'s name
   * @param ref where it runs, or for {@code ALREADY_STARTED} where the existing one is (else null)
   */
  record StartReply(@Nullable String reason, String message, @Nullable ChildRef ref) {}

  /**
   * Target → the placement's writer: the child started at this generation ({@code failure} null),
   * or could not start (the reason's name and why).
   */
  record StartReport(String id, long generation, @Nullable String failure, String message) {}

  /**
   * Sender → the child's node: one message for the child {@code id} at {@code generation}; {@code
   * askMillis} 0 for a tell, else the ask's remaining deadline (the sender enforces it).
   */
  record Letter(String id, long generation, int askMillis, Object body) {}

  /**
   * The child's node → sender: {@code refusal} null when queued (a tell) or answered ({@code
   * answer}, an ask), else why not: a {@link MessageException.Outcome}'s name, or {@code MOVING}
   * (this copy is stopping for a move, or its placement is elsewhere now).
   */
  record Receipt(@Nullable String refusal, @Nullable Object answer) {}

  /** Sender → a node: tells for children there, in the order sent (asks travel alone). */
  record Letters(List<Letter> letters) {}

  /** A node → sender: per letter of a {@link Letters}, null when queued, else the refusal. */
  record Receipts(List<@Nullable String> refusals) {}

  /** Old node → new node of a handed-over child: the messages queued at the old copy, in order. */
  record Forward(String id, long generation, List<Object> bodies) {}

  static final WireTypes TYPES =
      WireTypes.builder(DistributedSupervisor.WIRE_TYPES)
          .add(300, Placement.class, new Placement.Format())
          .add(301, RosterEntry.class, new RosterFormat())
          .add(302, StartRequest.class, new StartRequestFormat())
          .add(303, StartReply.class, new StartReplyFormat())
          .add(304, StartReport.class, new StartReportFormat())
          .add(305, Letter.class, new LetterFormat())
          .add(306, Receipt.class, new ReceiptFormat())
          .add(307, Forward.class, new ForwardFormat())
          .add(308, Letters.class, new LettersFormat())
          .add(309, Receipts.class, new ReceiptsFormat())
          .add(310, CheckpointRecord.class, new CheckpointRecord.Format())
          .add(311, CheckpointWire.Read.class, new CheckpointWire.ReadFormat())
          .add(312, CheckpointWire.Held.class, new CheckpointWire.HeldFormat())
          .add(313, LostCheckpoint.class, new LostCheckpoint.Format())
          .build();

  private static void writeNullable(WireOutput out, @Nullable String s) {
    out.writeBoolean(s != null);
    if (s != null) {
      out.writeString(s);
    }
  }

  private static @Nullable String readNullable(WireInput in) {
    return in.readBoolean() ? in.readString() : null;
  }

  static final class RosterFormat implements WireFormat<RosterEntry> {
    @Override
    public void write(WireOutput out, RosterEntry e) {
      out.write(NodeId.class, e.node());
      out.writeVarInt(e.factories().size());
      e.factories().forEach(out::writeString);
      out.writeBoolean(e.running());
      out.writeBoolean(e.handingOver());
    }

    @Override
    public RosterEntry read(WireInput in) {
      NodeId node = in.read(NodeId.class);
      int n = in.readVarInt();
      if (n < 0 || n > 10_000) {
        throw new IllegalArgumentException("malformed roster entry: " + n + " factories");
      }
      List<String> factories = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        factories.add(in.readString());
      }
      boolean running = in.readBoolean();
      return new RosterEntry(node, List.copyOf(factories), running, in.readBoolean());
    }
  }

  static final class StartRequestFormat implements WireFormat<StartRequest> {
    @Override
    public void write(WireOutput out, StartRequest r) {
      Placement.Format.writeSpec(out, r.spec());
    }

    @Override
    public StartRequest read(WireInput in) {
      return new StartRequest(Placement.Format.readSpec(in));
    }
  }

  static final class StartReplyFormat implements WireFormat<StartReply> {
    @Override
    public void write(WireOutput out, StartReply r) {
      writeNullable(out, r.reason());
      out.writeString(r.message());
      ChildRef ref = r.ref();
      out.writeBoolean(ref != null);
      if (ref != null) {
        out.writeString(ref.id());
        out.write(NodeId.class, ref.node());
        out.writeVarLong(ref.generation());
      }
    }

    @Override
    public StartReply read(WireInput in) {
      String reason = readNullable(in);
      String message = in.readString();
      ChildRef ref =
          in.readBoolean()
              ? new ChildRef(in.readString(), in.read(NodeId.class), in.readVarLong())
              : null;
      return new StartReply(reason, message, ref);
    }
  }

  static final class StartReportFormat implements WireFormat<StartReport> {
    @Override
    public void write(WireOutput out, StartReport r) {
      out.writeString(r.id());
      out.writeVarLong(r.generation());
      writeNullable(out, r.failure());
      out.writeString(r.message());
    }

    @Override
    public StartReport read(WireInput in) {
      return new StartReport(in.readString(), in.readVarLong(), readNullable(in), in.readString());
    }
  }

  static final class LetterFormat implements WireFormat<Letter> {
    @Override
    public void write(WireOutput out, Letter l) {
      out.writeString(l.id());
      out.writeVarLong(l.generation());
      out.writeVarInt(l.askMillis());
      out.writeValue(l.body());
    }

    @Override
    public Letter read(WireInput in) {
      String id = in.readString();
      long generation = in.readVarLong();
      int askMillis = in.readVarInt();
      if (askMillis < 0) {
        throw new IllegalArgumentException("malformed letter: ask deadline " + askMillis);
      }
      return new Letter(id, generation, askMillis, in.readValue());
    }
  }

  static final class ReceiptFormat implements WireFormat<Receipt> {
    @Override
    public void write(WireOutput out, Receipt r) {
      writeNullable(out, r.refusal());
      Object answer = r.answer();
      out.writeBoolean(answer != null);
      if (answer != null) {
        out.writeValue(answer);
      }
    }

    @Override
    public Receipt read(WireInput in) {
      String refusal = readNullable(in);
      return new Receipt(refusal, in.readBoolean() ? in.readValue() : null);
    }
  }

  static final class ForwardFormat implements WireFormat<Forward> {
    @Override
    public void write(WireOutput out, Forward f) {
      out.writeString(f.id());
      out.writeVarLong(f.generation());
      out.writeVarInt(f.bodies().size());
      f.bodies().forEach(out::writeValue);
    }

    @Override
    public Forward read(WireInput in) {
      String id = in.readString();
      long generation = in.readVarLong();
      int n = in.readVarInt();
      if (n < 0 || n > 1_000_000) {
        throw new IllegalArgumentException("malformed forward: " + n + " messages");
      }
      List<Object> bodies = new ArrayList<>(Math.min(n, 1024));
      for (int i = 0; i < n; i++) {
        bodies.add(in.readValue());
      }
      return new Forward(id, generation, List.copyOf(bodies));
    }
  }

  private static int count(WireInput in, String what) {
    int n = in.readVarInt();
    if (n < 0 || n > 1_000_000) {
      throw new IllegalArgumentException("malformed " + what + ": " + n + " entries");
    }
    return n;
  }

  static final class LettersFormat implements WireFormat<Letters> {
    private final LetterFormat letter = new LetterFormat();

    @Override
    public void write(WireOutput out, Letters b) {
      out.writeVarInt(b.letters().size());
      b.letters().forEach(l -> letter.write(out, l));
    }

    @Override
    public Letters read(WireInput in) {
      int n = count(in, "letters");
      List<Letter> letters = new ArrayList<>(Math.min(n, 1024));
      for (int i = 0; i < n; i++) {
        Letter l = letter.read(in);
        if (l.askMillis() != 0) {
          throw new IllegalArgumentException("malformed letters: an ask in a batch");
        }
        letters.add(l);
      }
      return new Letters(List.copyOf(letters));
    }
  }

  static final class ReceiptsFormat implements WireFormat<Receipts> {
    @Override
    public void write(WireOutput out, Receipts r) {
      out.writeVarInt(r.refusals().size());
      r.refusals().forEach(s -> writeNullable(out, s));
    }

    @Override
    public Receipts read(WireInput in) {
      int n = count(in, "receipts");
      List<@Nullable String> refusals = new ArrayList<>(Math.min(n, 1024));
      for (int i = 0; i < n; i++) {
        refusals.add(readNullable(in));
      }
      return new Receipts(java.util.Collections.unmodifiableList(refusals));
    }
  }
}
