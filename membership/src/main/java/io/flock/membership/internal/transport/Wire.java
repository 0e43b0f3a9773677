package io.flock.membership.internal.transport;

import static java.util.Objects.requireNonNull;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.crdt.CrdtKryo;
import io.flock.membership.NodeId;
import java.util.function.Consumer;

/**
 * The wire's message types and their Kryo registration. Every frame is {@code [int length][byte
 * version][Kryo class id + object]}; registration is required, so the wire never names a class.
 *
 * <p>Registration ids follow the one table, {@link io.flock.membership.internal.wire.WireRange}:
 * 18–39 the transport, 100–149 the CRDT ({@link CrdtKryo}), then the layers above.
 */
public final class Wire {
  /** The wire format version carried by every frame and the handshake. */
  static final byte VERSION = 5;

  /** The header byte of a frame whose Kryo body is deflated (this version, high bit set). */
  static final byte DEFLATED = (byte) (0x80 | VERSION);

  /** The header byte of a handshake frame ({@link HandshakeCodec}, no Kryo). */
  static final byte HANDSHAKE = (byte) (0x40 | VERSION);

  static final int NONCE_BYTES = 16;
  static final int MAC_BYTES = 32;

  private Wire() {}

  /** First message of a connection, client to server. */
  @SuppressWarnings("ArrayRecordComponent") // wire record, never compared
  record Hello(String cluster, int version, NodeId from, byte[] nonce, String[] types) {
    Hello {
      requireNonNull(cluster, "cluster");
      requireNonNull(from, "from");
      checkLength(nonce, NONCE_BYTES, "nonce");
      requireNonNull(types, "types");
    }
  }

  /** The server's identity, nonce and proof that it knows the secret. */
  @SuppressWarnings("ArrayRecordComponent") // wire record, never compared
  record Challenge(NodeId from, byte[] nonce, byte[] mac, String[] types) {
    Challenge {
      requireNonNull(from, "from");
      checkLength(nonce, NONCE_BYTES, "nonce");
      checkLength(mac, MAC_BYTES, "mac");
      requireNonNull(types, "types");
    }
  }

  /** The client's proof that it knows the secret. */
  @SuppressWarnings("ArrayRecordComponent") // wire record, never compared
  record Proof(byte[] mac) {
    Proof {
      checkLength(mac, MAC_BYTES, "mac");
    }
  }

  /** The server accepted the client. */
  record Accepted() {}

  /** The handshake failed; the sender closes the connection after this. */
  record Reject(String reason) {
    Reject {
      requireNonNull(reason, "reason");
      if (reason.length() > 200) {
        reason = reason.substring(0, 200);
      }
    }
  }

  /** An application message after the handshake. */
  record Envelope(NodeId from, NodeId to, Object body) {
    Envelope {
      requireNonNull(from, "from");
      requireNonNull(to, "to");
      requireNonNull(body, "body");
    }
  }

  private static void checkLength(byte[] bytes, int length, String name) {
    requireNonNull(bytes, name);
    if (bytes.length != length) {
      throw new IllegalArgumentException(name + " must have " + length + " bytes");
    }
  }

  /** A Kryo instance for one channel, with every wire type and the application's registered. */
  public static Kryo newKryo(Consumer<Kryo> registrar) {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.register(String[].class, 18);
    kryo.register(byte[].class, 19);
    kryo.register(NodeId.class, new NodeIdSerializer(), 20);
    kryo.register(Hello.class, 21);
    kryo.register(Challenge.class, 22);
    kryo.register(Proof.class, 23);
    kryo.register(Accepted.class, 24);
    kryo.register(Reject.class, 25);
    kryo.register(Envelope.class, new EnvelopeSerializer(), 26);
    CrdtKryo.register(kryo);
    registrar.accept(kryo);
    return kryo;
  }

  static final class NodeIdSerializer extends Serializer<NodeId> {
    NodeIdSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, NodeId id) {
      out.writeString(id.name());
      out.writeString(id.host());
      out.writeVarInt(id.port(), true);
      out.writeVarLong(id.incarnation(), true);
    }

    @Override
    public NodeId read(Kryo kryo, Input in, Class<? extends NodeId> type) {
      String name = in.readString();
      String host = in.readString();
      int port = in.readVarInt(true);
      long incarnation = in.readVarLong(true);
      if (name == null || host == null) {
        throw new com.esotericsoftware.kryo.KryoException("malformed node id");
      }
      return new NodeId(name, host, port, incarnation);
    }
  }

  static final class EnvelopeSerializer extends Serializer<Envelope> {
    EnvelopeSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, Envelope e) {
      kryo.writeObject(out, e.from());
      kryo.writeObject(out, e.to());
      kryo.writeClassAndObject(out, e.body());
    }

    @Override
    public Envelope read(Kryo kryo, Input in, Class<? extends Envelope> type) {
      NodeId from = kryo.readObject(in, NodeId.class);
      NodeId to = kryo.readObject(in, NodeId.class);
      Object body = kryo.readClassAndObject(in);
      if (body == null) {
        throw new com.esotericsoftware.kryo.KryoException("malformed envelope: null body");
      }
      return new Envelope(from, to, body);
    }
  }
}
