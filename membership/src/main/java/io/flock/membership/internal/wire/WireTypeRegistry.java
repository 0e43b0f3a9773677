package io.flock.membership.internal.wire;

import static java.util.Objects.requireNonNull;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.KryoBufferOverflowException;
import com.esotericsoftware.kryo.io.Output;
import io.flock.membership.WireFormat;
import io.flock.membership.WireTypes;
import io.flock.membership.internal.protocol.ClusterMessages;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What one node can put on the wire beyond the transport's and the CRDT's own types: the membership
 * messages, then every {@link WireTypes} set the node was started with. Checks at start that every
 * id sits in its owner's {@link WireRange} and that no two registrations collide; describes itself
 * as a <em>manifest</em> (one {@code module:fingerprint} line per set) that the handshake compares,
 * so two nodes whose types differ refuse each other naming the difference; and checks that a value
 * can be encoded before it is written anywhere.
 *
 * <p>Threading: immutable after construction; {@link #check} may be called from any thread.
 */
public final class WireTypeRegistry {
  private final List<WireTypes> sets;
  private final List<String> manifest;
  private final Coders coders;
  private final Function<Consumer<Kryo>, Kryo> kryoFactory;
  private volatile int maxValueBytes = 1 << 20;

  /**
   * Validates {@code sets}.
   *
   * @param sets the node's sets, in registration order
   * @param kryoFactory makes a Kryo as the transport does, given this registry's {@link
   *     #registrar()}
   * @throws IllegalArgumentException naming the set and id that break a rule
   */
  public WireTypeRegistry(List<WireTypes> sets, Function<Consumer<Kryo>, Kryo> kryoFactory) {
    this.sets = List.copyOf(sets);
    this.kryoFactory = requireNonNull(kryoFactory, "kryoFactory");
    Map<Integer, String> taken = new HashMap<>();
    Map<String, WireTypes> modules = new HashMap<>();
    List<String> lines = new ArrayList<>();
    for (WireTypes set : this.sets) {
      if (modules.put(set.module(), set) != null) {
        throw new IllegalArgumentException("wireTypes: two sets are named '" + set.module() + "'");
      }
      WireRange range = rangeOf(set.module());
      for (WireTypes.Entry e : set.entries()) {
        if (!range.contains(e.id())) {
          throw new IllegalArgumentException(
              "wireTypes '"
                  + set.module()
                  + "': id "
                  + e.id()
                  + " of "
                  + e.type().getName()
                  + " is outside "
                  + range
                  + (range == WireRange.USER ? " (ids below 1000 are Flock's own)" : ""));
        }
        String other = taken.put(e.id(), set.module() + "/" + e.type().getName());
        if (other != null) {
          throw new IllegalArgumentException(
              "wireTypes: id "
                  + e.id()
                  + " is taken twice ("
                  + other
                  + ", "
                  + e.type().getName()
                  + ")");
        }
      }
      lines.add(set.module() + ":" + fingerprint(set));
    }
    this.manifest = List.copyOf(lines);
    this.coders = new Coders(() -> this.kryoFactory.apply(registrar()));
  }

  private static WireRange rangeOf(String module) {
    if (module.startsWith("flock.")) {
      WireRange r = WireRange.ofModule(module);
      if (r == null) {
        throw new IllegalArgumentException(
            "wireTypes: 'flock.' names are Flock's; '" + module + "' is not one");
      }
      return r;
    }
    return WireRange.USER;
  }

  /** The names of the node's sets. */
  public List<String> modules() {
    return sets.stream().map(WireTypes::module).toList();
  }

  /** One {@code module:fingerprint} line per set, in registration order. */
  public List<String> manifest() {
    return manifest;
  }

  /** Registers the membership messages and every set, for each Kryo the transport makes. */
  public Consumer<Kryo> registrar() {
    return kryo -> {
      ClusterMessages.register(kryo);
      for (WireTypes set : sets) {
        for (WireTypes.Entry e : set.entries()) {
          WireFormat<?> format = e.format();
          if (format == null) {
            kryo.register(e.type(), e.id());
          } else {
            kryo.register(e.type(), new FormatSerializer<>(format), e.id());
          }
        }
      }
    };
  }

  /**
   * Encodes {@code value} as the wire would and returns its size in bytes.
   *
   * @throws IllegalArgumentException naming {@code what} and the type that cannot be encoded
   */
  public int check(Object value, String what) {
    requireNonNull(value, what);
    Coders.Coder c = coders.obtain();
    int max = maxValueBytes;
    try {
      int size = c.size(value, max);
      if (size > max) {
        throw new KryoBufferOverflowException("the value takes " + size + " bytes");
      }
      return size;
    } catch (KryoException | IllegalArgumentException e) {
      if (overflowed(e)) {
        throw new IllegalArgumentException(
            what
                + " of type "
                + value.getClass().getName()
                + " is larger than the maximum value size of "
                + max
                + " bytes (ClusterBuilder.maxValueBytes)",
            e);
      }
      String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw new IllegalArgumentException(
          what
              + " of type "
              + value.getClass().getName()
              + " cannot be sent: "
              + reason
              + " (register every type it contains in the cluster's WireTypes)",
          e);
    } finally {
      coders.free(c);
    }
  }

  /**
   * Encodes {@code value} with its class, of any size (a durable scope's record on disk).
   *
   * @throws IllegalArgumentException if it cannot be encoded
   */
  public byte[] encode(Object value) {
    requireNonNull(value, "value");
    Coders.Coder c = coders.obtain();
    try {
      Output out = new Output(256, -1);
      c.kryo().writeClassAndObject(out, value);
      return out.toBytes();
    } catch (KryoException e) {
      throw new IllegalArgumentException(
          "cannot encode " + value.getClass().getName() + ": " + e.getMessage(), e);
    } finally {
      coders.free(c);
    }
  }

  /**
   * Decodes what {@link #encode} wrote.
   *
   * @throws IllegalArgumentException if {@code bytes} is not such an encoding
   */
  public Object decode(byte[] bytes) {
    requireNonNull(bytes, "bytes");
    Coders.Coder c = coders.obtain();
    try {
      Object value = c.kryo().readClassAndObject(new com.esotericsoftware.kryo.io.Input(bytes));
      if (value == null) {
        throw new IllegalArgumentException("a null record");
      }
      return value;
    } catch (KryoException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("cannot decode a record: " + e.getMessage(), e);
    } finally {
      coders.free(c);
    }
  }

  /** Whether {@code e} (or a cause) is Kryo's "buffer would exceed its maximum". */
  public static boolean overflowed(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof com.esotericsoftware.kryo.io.KryoBufferOverflowException) {
        return true;
      }
    }
    return false;
  }

  /** Sets the largest value {@link #check} accepts (default 1 MiB). */
  public void maxValueBytes(int max) {
    this.maxValueBytes = max;
  }

  /**
   * Why a peer with {@code theirs} cannot talk with a node with {@code mine}, or null if the two
   * match.
   */
  public static @org.jspecify.annotations.Nullable String mismatch(
      List<String> mine, List<String> theirs) {
    if (mine.equals(theirs)) {
      return null;
    }
    List<String> missing = new ArrayList<>();
    List<String> extra = new ArrayList<>();
    List<String> differ = new ArrayList<>();
    for (String m : mine) {
      String module = m.substring(0, m.lastIndexOf(':'));
      String same =
          theirs.stream().filter(t -> t.startsWith(module + ":")).findFirst().orElse(null);
      if (same == null) {
        missing.add(module);
      } else if (!same.equals(m)) {
        differ.add(module);
      }
    }
    for (String t : theirs) {
      String module = t.substring(0, t.lastIndexOf(':'));
      if (mine.stream().noneMatch(m -> m.startsWith(module + ":"))) {
        extra.add(module);
      }
    }
    StringBuilder why = new StringBuilder("wire types differ:");
    if (!missing.isEmpty()) {
      why.append(" the peer lacks ").append(missing);
    }
    if (!extra.isEmpty()) {
      why.append(" this node lacks ").append(extra);
    }
    if (!differ.isEmpty()) {
      why.append(" registered differently: ").append(differ);
    }
    if (missing.isEmpty() && extra.isEmpty() && differ.isEmpty()) {
      why.append(" registered in another order");
    }
    return why.toString();
  }

  private static String fingerprint(WireTypes set) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (WireTypes.Entry e : set.entries()) {
        WireFormat<?> f = e.format();
        String row =
            e.id()
                + "="
                + e.type().getName()
                + (f == null ? "" : "/" + f.getClass().getName())
                + ";";
        sha.update(row.getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** A {@link WireFormat} as a Kryo serializer. */
  private static final class FormatSerializer<T> extends Serializer<T> {
    private final WireFormat<T> format;

    @SuppressWarnings("unchecked")
    FormatSerializer(WireFormat<?> format) {
      this.format = (WireFormat<T>) format;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, T value) {
      format.write(new KryoWireOutput(kryo, out), value);
    }

    @Override
    public T read(Kryo kryo, Input in, Class<? extends T> type) {
      try {
        return format.read(new KryoWireInput(kryo, in));
      } catch (KryoException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new KryoException("malformed " + type.getSimpleName() + ": " + e.getMessage(), e);
      }
    }
  }
}
