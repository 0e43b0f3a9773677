package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kryo serializers for the wire-visible CRDT types. Registration is required on the Kryo instance
 * ({@code kryo.setRegistrationRequired(true)}, Kryo's default), so the wire never names a class to
 * instantiate: keys and values travel as registered class ids, and the application registers its
 * own key and value classes.
 *
 * <p>A {@link Delta} is written with a table of the replica ids it mentions, each written once, so
 * a one-key delta costs a few dozen bytes plus its key and value. Reading validates everything a
 * constructor validates; a malformed input throws {@link KryoException}.
 *
 * <p>Kryo instances are not thread-safe; register these on each instance.
 */
public final class CrdtKryo {
  /** The first registration id used here; ids {@code FIRST_ID .. FIRST_ID + 19} are reserved. */
  public static final int FIRST_ID = 100;

  private static final int MAX_COLLECTION = 16 * 1024 * 1024;

  private CrdtKryo() {}

  /**
   * Registers the CRDT types on {@code kryo} under ids starting at {@link #FIRST_ID}.
   *
   * @throws NullPointerException if {@code kryo} is null
   */
  public static void register(Kryo kryo) {
    requireNonNull(kryo, "kryo");
    kryo.register(ReplicaId.class, new ReplicaIdSerializer(), FIRST_ID);
    kryo.register(Dot.class, new DotSerializer(), FIRST_ID + 1);
    kryo.register(CausalContext.class, new ContextSerializer(), FIRST_ID + 2);
    kryo.register(Delta.class, new DeltaSerializer(), FIRST_ID + 3);
    kryo.register(ReplicationMessage.DeltaInterval.class, new IntervalSerializer(), FIRST_ID + 4);
    kryo.register(ReplicationMessage.Ack.class, new AckSerializer(), FIRST_ID + 5);
    kryo.register(ReplicationMessage.Status.class, new StatusSerializer(), FIRST_ID + 6);
    kryo.register(ReplicationMessage.SyncRequest.class, new SyncRequestSerializer(), FIRST_ID + 7);
    kryo.register(ReplicationMessage.SyncPull.class, new SyncPullSerializer(), FIRST_ID + 8);
    kryo.register(ReplicationMessage.SyncChunk.class, new SyncChunkSerializer(), FIRST_ID + 9);
    kryo.register(ReplicationMessage.SyncDone.class, new SyncDoneSerializer(), FIRST_ID + 10);
  }

  private static KryoException malformed(RuntimeException e) {
    return new KryoException("malformed input: " + e.getMessage(), e);
  }

  static void writeBits(Output out, BitSet bits) {
    long[] words = bits.toLongArray();
    out.writeVarInt(words.length, true);
    out.writeLongs(words, 0, words.length);
  }

  static BitSet readBits(Input in) {
    int n = in.readVarInt(true);
    if (n < 0 || n > AWLWWMap.BUCKETS / 64) {
      throw new KryoException("malformed input: bit set of " + n + " words");
    }
    return BitSet.valueOf(in.readLongs(n));
  }

  static final class IntervalSerializer extends Serializer<ReplicationMessage.DeltaInterval<?, ?>> {
    IntervalSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ReplicationMessage.DeltaInterval<?, ?> m) {
      out.writeVarLong(m.start(), true);
      out.writeVarLong(m.end(), true);
      kryo.writeObject(out, m.delta());
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public ReplicationMessage.DeltaInterval<?, ?> read(
        Kryo kryo, Input in, Class<? extends ReplicationMessage.DeltaInterval<?, ?>> type) {
      long start = in.readVarLong(true);
      long end = in.readVarLong(true);
      Delta delta = kryo.readObject(in, Delta.class);
      try {
        return new ReplicationMessage.DeltaInterval<>(start, end, delta);
      } catch (IllegalArgumentException e) {
        throw malformed(e);
      }
    }
  }

  static final class AckSerializer extends Serializer<ReplicationMessage.Ack<?, ?>> {
    AckSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ReplicationMessage.Ack<?, ?> m) {
      out.writeVarLong(m.upTo(), true);
    }

    @Override
    public ReplicationMessage.Ack<?, ?> read(
        Kryo kryo, Input in, Class<? extends ReplicationMessage.Ack<?, ?>> type) {
      return new ReplicationMessage.Ack<>(in.readVarLong(true));
    }
  }

  static final class StatusSerializer extends Serializer<ReplicationMessage.Status<?, ?>> {
    StatusSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ReplicationMessage.Status<?, ?> m) {
      out.writeVarLong(m.seq(), true);
      out.writeLong(m.rootDigest());
      out.writeVarInt(m.size(), true);
      out.writeBoolean(m.behind());
      out.writeVarInt(m.retiring().size(), true);
      m.retiring()
          .forEach(
              (node, below) -> {
                out.writeString(node);
                out.writeVarLong(below, true);
              });
    }

    @Override
    public ReplicationMessage.Status<?, ?> read(
        Kryo kryo, Input in, Class<? extends ReplicationMessage.Status<?, ?>> type) {
      long seq = in.readVarLong(true);
      long root = in.readLong();
      int size = in.readVarInt(true);
      boolean behind = in.readBoolean();
      int n = readCount(in, "retiring");
      Map<String, Long> retiring = HashMap.newHashMap(n);
      for (int i = 0; i < n; i++) {
        String node = in.readString();
        if (node == null) {
          throw new KryoException("malformed input: null node");
        }
        retiring.put(node, in.readVarLong(true));
      }
      return new ReplicationMessage.Status<>(seq, root, size, behind, retiring);
    }
  }

  static final class SyncRequestSerializer
      extends Serializer<ReplicationMessage.SyncRequest<?, ?>> {
    SyncRequestSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ReplicationMessage.SyncRequest<?, ?> m) {
      long[] digests = m.digests();
      out.writeLongs(digests, 0, digests.length);
    }

    @Override
    public ReplicationMessage.SyncRequest<?, ?> read(
        Kryo kryo, Input in, Class<? extends ReplicationMessage.SyncRequest<?, ?>> type) {
      return new ReplicationMessage.SyncRequest<>(in.readLongs(AWLWWMap.BUCKETS));
    }
  }

  static final class SyncPullSerializer extends Serializer<ReplicationMessage.SyncPull<?, ?>> {
    SyncPullSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ReplicationMessage.SyncPull<?, ?> m) {
      writeBits(out, m.buckets());
      out.writeVarLong(m.resume(), true);
    }

    @Override
    public ReplicationMessage.SyncPull<?, ?> read(
        Kryo kryo, Input in, Class<? extends ReplicationMessage.SyncPull<?, ?>> type) {
      BitSet buckets = readBits(in);
      long resume = in.readVarLong(true);
      try {
        return new ReplicationMessage.SyncPull<>(buckets, resume);
      } catch (IllegalArgumentException e) {
        throw malformed(e);
      }
    }
  }

  static final class SyncChunkSerializer extends Serializer<ReplicationMessage.SyncChunk<?, ?>> {
    SyncChunkSerializer() {
      setImmutable(true);
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public void write(Kryo kryo, Output out, ReplicationMessage.SyncChunk<?, ?> m) {
      SyncScope scope = m.scope();
      writeBits(out, scope.buckets());
      out.writeVarInt(scope.partialBucket() + 1, true);
      out.writeVarLong(scope.partialFrom(), true);
      out.writeVarLong(scope.partialTo(), true);
      // Entries and context travel as one keyed delta, which validates them on read.
      kryo.writeObject(out, Delta.trusted(new HashMap(m.entries()), m.context(), false));
      writeBits(out, m.remaining());
      out.writeVarLong(m.resume(), true);
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public ReplicationMessage.SyncChunk<?, ?> read(
        Kryo kryo, Input in, Class<? extends ReplicationMessage.SyncChunk<?, ?>> type) {
      try {
        BitSet buckets = readBits(in);
        int partial = in.readVarInt(true) - 1;
        long from = in.readVarLong(true);
        long to = in.readVarLong(true);
        SyncScope scope = new SyncScope(buckets, partial, from, to);
        Delta delta = kryo.readObject(in, Delta.class);
        BitSet remaining = readBits(in);
        long resume = in.readVarLong(true);
        return new ReplicationMessage.SyncChunk<>(
            scope, delta.entries(), delta.context(), remaining, resume);
      } catch (IllegalArgumentException e) {
        throw malformed(e);
      }
    }
  }

  static final class SyncDoneSerializer extends Serializer<ReplicationMessage.SyncDone<?, ?>> {
    SyncDoneSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ReplicationMessage.SyncDone<?, ?> m) {
      out.writeVarLong(m.seq(), true);
      out.writeLong(m.rootDigest());
      kryo.writeObject(out, m.context());
    }

    @Override
    public ReplicationMessage.SyncDone<?, ?> read(
        Kryo kryo, Input in, Class<? extends ReplicationMessage.SyncDone<?, ?>> type) {
      long seq = in.readVarLong(true);
      long root = in.readLong();
      CausalContext context = kryo.readObject(in, CausalContext.class);
      return new ReplicationMessage.SyncDone<>(seq, root, context);
    }
  }

  static int readCount(Input in, String what) {
    int n = in.readVarInt(true);
    if (n < 0 || n > MAX_COLLECTION) {
      throw new KryoException("malformed input: " + what + " count " + n + " out of range");
    }
    // Every element takes at least one byte: a count beyond what remains is a lie, refused
    // before anything is allocated for it (an input over a stream has no known end: limit -1).
    if (in.getInputStream() == null && n > in.limit() - in.position()) {
      throw new KryoException(
          "malformed input: "
              + what
              + " count "
              + n
              + " exceeds the "
              + (in.limit() - in.position())
              + " bytes that remain");
    }
    return n;
  }

  static ReplicaId readReplica(Input in) {
    String node = in.readString();
    long incarnation = in.readVarLong(true);
    if (node == null) {
      throw new KryoException("malformed input: null replica node");
    }
    try {
      return new ReplicaId(node, incarnation);
    } catch (IllegalArgumentException e) {
      throw new KryoException("malformed input: " + e.getMessage(), e);
    }
  }

  static void writeReplica(Output out, ReplicaId replica) {
    out.writeString(replica.node());
    out.writeVarLong(replica.incarnation(), true);
  }

  static final class ReplicaIdSerializer extends Serializer<ReplicaId> {
    ReplicaIdSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ReplicaId replica) {
      writeReplica(out, replica);
    }

    @Override
    public ReplicaId read(Kryo kryo, Input in, Class<? extends ReplicaId> type) {
      return readReplica(in);
    }
  }

  static final class DotSerializer extends Serializer<Dot> {
    DotSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, Dot dot) {
      writeReplica(out, dot.replica());
      out.writeVarLong(dot.counter(), true);
    }

    @Override
    public Dot read(Kryo kryo, Input in, Class<? extends Dot> type) {
      ReplicaId replica = readReplica(in);
      long counter = in.readVarLong(true);
      try {
        return new Dot(replica, counter);
      } catch (IllegalArgumentException e) {
        throw new KryoException("malformed input: " + e.getMessage(), e);
      }
    }
  }

  /** Replica ids of one message, written once each and referred to by index. */
  private static final class ReplicaTable {
    final Map<ReplicaId, Integer> index = new LinkedHashMap<>();

    int indexOf(ReplicaId replica) {
      return index.computeIfAbsent(replica, r -> index.size());
    }

    void collect(CausalContext context) {
      context.versions().keySet().forEach(this::indexOf);
      context.cloud().forEach(d -> indexOf(d.replica()));
    }

    void write(Output out) {
      out.writeVarInt(index.size(), true);
      index.keySet().forEach(r -> writeReplica(out, r));
    }

    static List<ReplicaId> read(Input in) {
      int n = readCount(in, "replica");
      List<ReplicaId> replicas = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        replicas.add(readReplica(in));
      }
      return replicas;
    }
  }

  static ReplicaId lookup(List<ReplicaId> table, Input in) {
    int i = in.readVarInt(true);
    if (i < 0 || i >= table.size()) {
      throw new KryoException("malformed input: replica index " + i + " out of range");
    }
    return table.get(i);
  }

  static void writeContext(Output out, CausalContext context, ReplicaTable table) {
    out.writeVarInt(context.versions().size(), true);
    context
        .versions()
        .forEach(
            (r, v) -> {
              out.writeVarInt(table.indexOf(r), true);
              out.writeVarLong(v, true);
            });
    List<Dot> cloud = context.cloud();
    out.writeVarInt(cloud.size(), true);
    for (Dot d : cloud) {
      out.writeVarInt(table.indexOf(d.replica()), true);
      out.writeVarLong(d.counter(), true);
    }
    out.writeVarInt(context.retiredBelow().size(), true);
    context
        .retiredBelow()
        .forEach(
            (node, below) -> {
              out.writeString(node);
              out.writeVarLong(below, true);
            });
  }

  static CausalContext readContext(Input in, List<ReplicaId> table) {
    int nVersions = readCount(in, "version");
    Map<ReplicaId, Long> versions = HashMap.newHashMap(nVersions);
    for (int i = 0; i < nVersions; i++) {
      versions.put(lookup(table, in), in.readVarLong(true));
    }
    int nCloud = readCount(in, "cloud dot");
    List<Dot> cloud = new ArrayList<>(nCloud);
    for (int i = 0; i < nCloud; i++) {
      ReplicaId r = lookup(table, in);
      long c = in.readVarLong(true);
      if (c < 1) {
        throw new KryoException("malformed input: dot counter " + c);
      }
      cloud.add(new Dot(r, c));
    }
    int nRetired = readCount(in, "retired");
    Map<String, Long> retired = HashMap.newHashMap(nRetired);
    for (int i = 0; i < nRetired; i++) {
      String node = in.readString();
      if (node == null) {
        throw new KryoException("malformed input: null retired node");
      }
      retired.put(node, in.readVarLong(true));
    }
    try {
      return CausalContext.of(versions, cloud, retired);
    } catch (IllegalArgumentException e) {
      throw new KryoException("malformed input: " + e.getMessage(), e);
    }
  }

  static final class ContextSerializer extends Serializer<CausalContext> {
    ContextSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, CausalContext context) {
      ReplicaTable table = new ReplicaTable();
      table.collect(context);
      table.write(out);
      writeContext(out, context, table);
    }

    @Override
    public CausalContext read(Kryo kryo, Input in, Class<? extends CausalContext> type) {
      return readContext(in, ReplicaTable.read(in));
    }
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  static final class DeltaSerializer extends Serializer<Delta> {
    DeltaSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, Delta delta) {
      Delta<Object, Object> d = delta;
      ReplicaTable table = new ReplicaTable();
      table.collect(d.context());
      d.entries().values().forEach(list -> list.forEach(e -> table.indexOf(e.replica())));
      table.write(out);
      writeContext(out, d.context(), table);
      out.writeBoolean(d.isComplete());
      out.writeVarInt(d.entries().size(), true);
      for (Map.Entry<Object, List<Dotted<Object>>> e : d.entries().entrySet()) {
        kryo.writeClassAndObject(out, e.getKey());
        out.writeVarInt(e.getValue().size(), true);
        for (Dotted<Object> entry : e.getValue()) {
          out.writeVarInt(table.indexOf(entry.replica()), true);
          out.writeVarLong(entry.counter(), true);
          out.writeLong(entry.timestamp());
          kryo.writeClassAndObject(out, entry.value());
        }
      }
    }

    @Override
    public Delta read(Kryo kryo, Input in, Class<? extends Delta> type) {
      List<ReplicaId> table = ReplicaTable.read(in);
      CausalContext context = readContext(in, table);
      boolean complete = in.readBoolean();
      int nKeys = readCount(in, "key");
      Map<Object, List<Dotted<Object>>> entries = HashMap.newHashMap(nKeys);
      for (int i = 0; i < nKeys; i++) {
        Object key = kryo.readClassAndObject(in);
        if (key == null) {
          throw new KryoException("malformed input: null key");
        }
        int n = readCount(in, "entry");
        List<Dotted<Object>> list = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
          ReplicaId r = lookup(table, in);
          long counter = in.readVarLong(true);
          long timestamp = in.readLong();
          Object value = kryo.readClassAndObject(in);
          if (value == null || counter < 1) {
            throw new KryoException("malformed input: entry of key " + key);
          }
          list.add(new Dotted<>(r, counter, timestamp, value));
        }
        if (entries.put(key, list) != null) {
          throw new KryoException("malformed input: key " + key + " listed twice");
        }
      }
      try {
        return Delta.of(entries, context, complete);
      } catch (IllegalArgumentException e) {
        throw new KryoException(e.getMessage(), e);
      }
    }
  }
}
