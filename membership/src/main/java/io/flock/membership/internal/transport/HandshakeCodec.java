package io.flock.membership.internal.transport;

import io.flock.membership.NodeId;
import io.netty.handler.codec.CorruptedFrameException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The handshake's own codec: the only thing that decodes before a connection is authenticated. It
 * knows the five handshake messages and nothing else, and every length or count it reads is checked
 * against the bytes that remain before anything is allocated, so a frame of {@code n} bytes never
 * makes it allocate more than about {@code 2n} bytes (and never more than the small maxima below).
 * No Kryo is involved: a Kryo instance (and a deflater and an inflater) is made per connection only
 * once its handshake succeeded.
 *
 * <p>Body: a tag byte, then the message's fields (strings and arrays as a varint length and bytes).
 *
 * <p>Threading: stateless; any thread.
 */
final class HandshakeCodec {
  static final int MAX_STRING_BYTES = 1024;
  static final int MAX_TYPES = 256;

  private static final byte HELLO = 1;
  private static final byte CHALLENGE = 2;
  private static final byte PROOF = 3;
  private static final byte ACCEPTED = 4;
  private static final byte REJECT = 5;

  private HandshakeCodec() {}

  /** Whether {@code message} is one of the handshake's messages. */
  static boolean handles(Object message) {
    return message instanceof Wire.Hello
        || message instanceof Wire.Challenge
        || message instanceof Wire.Proof
        || message instanceof Wire.Accepted
        || message instanceof Wire.Reject;
  }

  /** The body of a handshake frame (without the header byte). */
  static byte[] encode(Object message) {
    Writer w = new Writer();
    switch (message) {
      case Wire.Hello h -> {
        w.tag(HELLO);
        w.string(h.cluster());
        w.varint(h.version());
        w.node(h.from());
        w.bytes(h.nonce());
        w.strings(h.types());
      }
      case Wire.Challenge c -> {
        w.tag(CHALLENGE);
        w.node(c.from());
        w.bytes(c.nonce());
        w.bytes(c.mac());
        w.strings(c.types());
      }
      case Wire.Proof p -> {
        w.tag(PROOF);
        w.bytes(p.mac());
      }
      case Wire.Accepted a -> w.tag(ACCEPTED);
      case Wire.Reject r -> {
        w.tag(REJECT);
        w.string(r.reason());
      }
      default ->
          throw new IllegalArgumentException(
              "not a handshake message: " + message.getClass().getName());
    }
    return w.out.toByteArray();
  }

  /**
   * Decodes the body {@code frame[from..to)}.
   *
   * @throws CorruptedFrameException if it is not exactly one well-formed handshake message
   */
  static Object decode(byte[] frame, int from, int to) {
    Reader r = new Reader(frame, from, to);
    Object message;
    try {
      message =
          switch (r.tag()) {
            case HELLO -> new Wire.Hello(r.string(), r.varint(), r.node(), r.bytes(), r.strings());
            case CHALLENGE -> new Wire.Challenge(r.node(), r.bytes(), r.bytes(), r.strings());
            case PROOF -> new Wire.Proof(r.bytes());
            case ACCEPTED -> new Wire.Accepted();
            case REJECT -> new Wire.Reject(r.string());
            default -> throw new CorruptedFrameException("unknown handshake message");
          };
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new CorruptedFrameException("malformed handshake message: " + e.getMessage(), e);
    }
    if (r.pos != to) {
      throw new CorruptedFrameException("trailing bytes in handshake frame: " + (to - r.pos));
    }
    return message;
  }

  private static final class Writer {
    final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

    void tag(byte t) {
      out.write(t);
    }

    void varint(long v) {
      long x = v;
      while ((x & ~0x7FL) != 0) {
        out.write((int) ((x & 0x7F) | 0x80));
        x >>>= 7;
      }
      out.write((int) x);
    }

    void bytes(byte[] b) {
      varint(b.length);
      out.write(b, 0, b.length);
    }

    void string(String s) {
      bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    void strings(String[] all) {
      varint(all.length);
      for (String s : all) {
        string(s);
      }
    }

    void node(NodeId id) {
      string(id.name());
      string(id.host());
      varint(id.port());
      varint(id.incarnation());
    }
  }

  private static final class Reader {
    final byte[] buf;
    final int end;
    int pos;

    Reader(byte[] buf, int from, int to) {
      this.buf = buf;
      this.pos = from;
      this.end = to;
    }

    byte tag() {
      need(1);
      return buf[pos++];
    }

    private void need(long n) {
      if (n < 0 || n > end - pos) {
        throw new CorruptedFrameException(
            "handshake field of " + n + " bytes, " + (end - pos) + " remain");
      }
    }

    long varlong() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        need(1);
        byte b = buf[pos++];
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new CorruptedFrameException("varint too long");
    }

    int varint() {
      long v = varlong();
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw new CorruptedFrameException("varint out of range: " + v);
      }
      return (int) v;
    }

    byte[] bytes() {
      int n = varint();
      need(n);
      byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return b;
    }

    String string() {
      int n = varint();
      if (n > MAX_STRING_BYTES) {
        throw new CorruptedFrameException("handshake string of " + n + " bytes");
      }
      need(n);
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    String[] strings() {
      int n = varint();
      if (n > MAX_TYPES) {
        throw new CorruptedFrameException("handshake list of " + n + " entries");
      }
      need(n); // each entry takes at least one byte
      String[] out = new String[n];
      for (int i = 0; i < n; i++) {
        out[i] = string();
      }
      return out;
    }

    NodeId node() {
      String name = string();
      String host = string();
      int port = varint();
      long incarnation = varlong();
      return new NodeId(name, host, port, incarnation);
    }
  }
}
