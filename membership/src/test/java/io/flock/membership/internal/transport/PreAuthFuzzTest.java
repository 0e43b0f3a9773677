package io.flock.membership.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.crdt.CrdtKryo;
import io.flock.membership.NettyLeaks;
import io.flock.membership.NodeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The issue "Wire hardening", finding 1: before authentication the decoder accepted every
 * registered type, and a 10-byte frame allocated 64 MiB. Now only the handshake's own codec runs
 * before authentication, with every length checked against what remains.
 */
class PreAuthFuzzTest {
  static {
    NettyLeaks.install();
  }

  private static final int HANDSHAKE_FRAME = 4096;
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @AfterAll
  static void noLeaks() {
    NettyLeaks.assertNoLeaks();
  }

  /** A decoder as a freshly accepted connection has it: not authenticated. */
  private static EmbeddedChannel fresh() {
    return new EmbeddedChannel(
        new WireCodec.Decoder(CrdtKryo::register, HANDSHAKE_FRAME),
        new WireCodec.Encoder(CrdtKryo::register, 1 << 20));
  }

  private static ByteBuf frame(byte header, byte[] body) {
    ByteBuf b = Unpooled.buffer(5 + body.length);
    b.writeInt(1 + body.length);
    b.writeByte(header);
    b.writeBytes(body);
    return b;
  }

  /** Bytes the calling thread allocated while {@code r} ran. */
  private static long allocated(Runnable r) {
    long id = Thread.currentThread().threadId();
    long before = THREADS.getThreadAllocatedBytes(id);
    r.run();
    return THREADS.getThreadAllocatedBytes(id) - before;
  }

  private static void feed(ByteBuf frame) {
    EmbeddedChannel ch = fresh();
    try {
      ch.writeInbound(frame);
    } catch (RuntimeException expected) {
      // a bad frame closes the connection; what matters is what it cost
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  /** What decoding {@code frame} costs on a fresh connection (the channel itself not counted). */
  private static long decodeCost(ByteBuf frame) {
    EmbeddedChannel ch = fresh();
    try {
      return allocated(
          () -> {
            try {
              ch.writeInbound(frame);
            } catch (RuntimeException expected) {
              // a bad frame closes the connection; what matters is what it cost
            }
          });
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void theTenByteFrameThatAllocated64MiBIsRefusedBeforeAuthentication() {
    // A Kryo frame: class id of a CRDT type, then a count of 16M (the old bound).
    byte[] body = {(byte) (CrdtKryo.FIRST_ID + 2), (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
    EmbeddedChannel ch = fresh();
    assertThatThrownBy(() -> ch.writeInbound(frame(Wire.VERSION, body)))
        .hasMessageContaining("before authentication");
    assertThat(ch.<Object>readInbound()).isNull();
    ch.finishAndReleaseAll();
    assertThat(decodeCost(frame(Wire.VERSION, body))).isLessThan(64 * 1024);
  }

  @Test
  void aHandshakeMessageRoundTripsThroughItsOwnCodec() {
    NodeId a = new NodeId("a", "127.0.0.1", 7000, 3);
    Wire.Hello hello = new Wire.Hello("c", Wire.VERSION, a, new byte[16], new String[] {"x 1"});
    EmbeddedChannel out = fresh();
    out.writeOutbound(hello);
    ByteBuf encoded = out.readOutbound();
    out.finishAndReleaseAll();
    EmbeddedChannel in = fresh();
    in.writeInbound(encoded);
    Wire.Hello decoded = in.readInbound();
    assertThat(decoded.from()).isEqualTo(a);
    assertThat(decoded.types()).containsExactly("x 1");
    in.finishAndReleaseAll();
  }

  /**
   * Every frame of at most 4 KiB, random or a valid handshake frame with bytes changed, costs a
   * small bounded allocation before authentication (measured on the second decode of each frame:
   * the first decode of a new code path pays once for class loading). The largest seen is printed
   * (it goes in the notes); the goal is under 64 KiB.
   */
  @Test
  void noFrameOfAtMost4KiBAllocatesMoreThan64KiBBeforeAuthentication() {
    Random random = new Random(42);
    NodeId a = new NodeId("a", "127.0.0.1", 7000, 3);
    byte[] valid =
        HandshakeCodec.encode(
            new Wire.Hello("cluster", Wire.VERSION, a, new byte[16], new String[] {"t 1", "u 2"}));
    long worst = 0;
    for (int i = 0; i < 200; i++) { // warm up: class loading and first exceptions are not frames
      feed(frame(Wire.HANDSHAKE, valid));
      feed(frame(Wire.VERSION, valid));
      feed(frame(Wire.HANDSHAKE, new byte[] {9}));
    }
    for (int i = 0; i < 20_000; i++) {
      byte[] body;
      if (i % 2 == 0) {
        body = valid.clone();
        for (int m = 0; m < 1 + random.nextInt(4); m++) {
          body[random.nextInt(body.length)] = (byte) random.nextInt(256);
        }
      } else {
        body = new byte[random.nextInt(HANDSHAKE_FRAME - 1)];
        random.nextBytes(body);
        if (body.length > 0 && random.nextBoolean()) {
          body[0] = (byte) (1 + random.nextInt(5)); // a handshake tag
        }
      }
      byte header =
          switch (random.nextInt(4)) {
            case 0 -> Wire.VERSION;
            case 1 -> Wire.DEFLATED;
            default -> Wire.HANDSHAKE;
          };
      ByteBuf f = frame(header, body);
      // Twice: the first decode of a new path pays for class loading and linkage once.
      long unused = decodeCost(f.copy());
      worst = Math.max(worst, decodeCost(f));
    }
    System.out.println(
        "[fuzz] largest allocation of one pre-authentication frame: " + worst + " B");
    assertThat(worst).isLessThan(64 * 1024);
  }
}
