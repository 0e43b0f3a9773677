package io.flock.membership.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.ReplicationMessage;
import io.flock.membership.NettyLeaks;
import io.flock.membership.NodeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class WireCodecTest {
  static {
    NettyLeaks.install();
  }

  private static final NodeId A = new NodeId("a", "127.0.0.1", 7000, 1);
  private static final NodeId B = new NodeId("b", "127.0.0.1", 7001, 2);

  /** A channel whose handshake succeeded (Kryo frames decode). */
  private static EmbeddedChannel channel(int maxFrame) {
    WireCodec.Decoder decoder = new WireCodec.Decoder(k -> {}, maxFrame);
    decoder.authenticated(maxFrame);
    return new EmbeddedChannel(decoder, new WireCodec.Encoder(k -> {}, 1 << 20));
  }

  private static ByteBuf encode(Object message) {
    EmbeddedChannel ch = channel(1 << 20);
    ch.writeOutbound(message);
    ByteBuf out = ch.readOutbound();
    ch.finishAndReleaseAll();
    return out;
  }

  @AfterAll
  static void noLeaks() {
    NettyLeaks.assertNoLeaks();
  }

  @Test
  void roundTripsEnvelopesWithReplicationMessages() {
    AWLWWMap<String, String> map = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 5));
    var interval = new ReplicationMessage.DeltaInterval<>(0, 1, map.put("child-1", "node-a"));
    Wire.Envelope envelope = new Wire.Envelope(A, B, interval);
    EmbeddedChannel ch = channel(1 << 20);
    ch.writeInbound(encode(envelope));
    Wire.Envelope decoded = ch.readInbound();
    assertThat(decoded.from()).isEqualTo(A);
    assertThat(decoded.to()).isEqualTo(B);
    assertThat(decoded.body()).isEqualTo(interval);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void largeBodiesAreDeflatedAndRoundTrip() {
    AWLWWMap<String, String> map = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 5));
    io.flock.crdt.Delta<String, String> delta = map.put("child-0", "node-a");
    for (int i = 1; i < 2_000; i++) {
      delta = delta.join(map.put("child-" + i, "node-" + (i % 5)));
    }
    var interval = new ReplicationMessage.DeltaInterval<>(0, 1, delta);
    ByteBuf frame = encode(new Wire.Envelope(A, B, interval));
    assertThat(frame.getByte(4)).isEqualTo(Wire.DEFLATED);
    int plain = plainSize(new Wire.Envelope(A, B, interval));
    assertThat(frame.readableBytes()).isLessThan(plain / 2);

    EmbeddedChannel ch = channel(1 << 20);
    ch.writeInbound(frame);
    Wire.Envelope decoded = ch.readInbound();
    assertThat(decoded.body()).isEqualTo(interval);
    assertThat(ch.finishAndReleaseAll()).isFalse();

    ByteBuf small = encode(new Wire.Envelope(A, B, "hello"));
    assertThat(small.getByte(4)).isEqualTo(Wire.VERSION);
    small.release();
  }

  @Test
  void aDeflatedFrameThatInflatesBeyondTheLimitIsRefused() {
    byte[] zeros = new byte[1 << 20]; // deflates to about a kilobyte
    java.util.zip.Deflater d = new java.util.zip.Deflater();
    d.setInput(zeros);
    d.finish();
    byte[] packed = new byte[8192];
    int n = d.deflate(packed);
    d.end();
    assertThat(n).isLessThan(4000);
    EmbeddedChannel ch = channel(4096);
    ByteBuf bomb =
        Unpooled.buffer().writeInt(1 + n).writeByte(Wire.DEFLATED).writeBytes(packed, 0, n);
    assertThatThrownBy(() -> ch.writeInbound(bomb))
        .isInstanceOf(TooLongFrameException.class)
        .hasMessageContaining("inflates beyond");
    ch.finishAndReleaseAll();

    EmbeddedChannel ch2 = channel(4096);
    ByteBuf garbage = Unpooled.buffer().writeInt(5).writeByte(Wire.DEFLATED).writeInt(0x12345678);
    assertThatThrownBy(() -> ch2.writeInbound(garbage)).isInstanceOf(CorruptedFrameException.class);
    ch2.finishAndReleaseAll();
  }

  private static int plainSize(Object message) {
    com.esotericsoftware.kryo.io.Output out = new com.esotericsoftware.kryo.io.Output(1024, -1);
    Wire.newKryo(k -> {}).writeClassAndObject(out, message);
    return 5 + out.position();
  }

  @Test
  void framesSplitAcrossReadsAreReassembled() {
    ByteBuf whole = encode(new Wire.Envelope(A, B, "hello"));
    EmbeddedChannel ch = channel(1 << 20);
    while (whole.isReadable()) {
      ch.writeInbound(whole.readRetainedSlice(Math.min(3, whole.readableBytes())));
    }
    whole.release();
    Wire.Envelope decoded = ch.readInbound();
    assertThat(decoded.body()).isEqualTo("hello");
    ch.finishAndReleaseAll();
  }

  @Test
  void truncatedFrameYieldsNothing() {
    ByteBuf whole = encode(new Wire.Envelope(A, B, "hello"));
    EmbeddedChannel ch = channel(1 << 20);
    ch.writeInbound(whole.readRetainedSlice(whole.readableBytes() - 1));
    whole.release();
    Object none = ch.readInbound();
    assertThat(none).isNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void oversizedLengthPrefixIsRefusedBeforeReadingIt() {
    EmbeddedChannel ch = channel(4096);
    ByteBuf bad = Unpooled.buffer().writeInt(1 << 30).writeByte(1);
    assertThatThrownBy(() -> ch.writeInbound(bad)).isInstanceOf(TooLongFrameException.class);
    ch.finishAndReleaseAll();
  }

  @Test
  void unknownTypeWrongVersionAndTrailingBytesAreRefused() {
    EmbeddedChannel ch = channel(4096);
    ByteBuf unknown =
        Unpooled.buffer().writeInt(3).writeByte(Wire.VERSION).writeByte(120).writeByte(7);
    assertThatThrownBy(() -> ch.writeInbound(unknown)).isInstanceOf(DecoderException.class);
    ch.finishAndReleaseAll();

    ByteBuf good = encode("x");
    ByteBuf wrongVersion = Unpooled.buffer().writeBytes(good);
    good.release();
    wrongVersion.setByte(4, 99);
    EmbeddedChannel ch2 = channel(4096);
    assertThatThrownBy(() -> ch2.writeInbound(wrongVersion))
        .isInstanceOf(CorruptedFrameException.class)
        .hasMessageContaining("version");
    ch2.finishAndReleaseAll();

    ByteBuf trailing = encode("x");
    ByteBuf padded = Unpooled.buffer().writeInt(trailing.getInt(0) + 2);
    padded.writeBytes(trailing, 4, trailing.readableBytes() - 4).writeByte(0).writeByte(0);
    trailing.release();
    EmbeddedChannel ch3 = channel(4096);
    assertThatThrownBy(() -> ch3.writeInbound(padded)).hasMessageContaining("trailing");
    ch3.finishAndReleaseAll();
  }

  @Test
  void unregisteredClassCannotBeSent() {
    EmbeddedChannel ch = channel(4096);
    assertThatThrownBy(() -> ch.writeOutbound(new Wire.Envelope(A, B, java.time.Instant.now())))
        .hasMessageContaining("not registered");
    ch.finishAndReleaseAll();
  }

  /** Random bytes never produce anything but a refusal or a registered, validated message. */
  @Test
  void randomFramesFuzz() {
    Random random = new Random(7);
    long deadline = System.nanoTime() + 3_000_000_000L;
    for (int i = 0; i < 20_000 && System.nanoTime() < deadline; i++) {
      EmbeddedChannel ch = channel(4096);
      byte[] body = new byte[random.nextInt(64)];
      random.nextBytes(body);
      if (body.length > 0 && random.nextBoolean()) {
        body[0] = random.nextBoolean() ? Wire.VERSION : Wire.DEFLATED;
      }
      ByteBuf frame =
          Unpooled.buffer().writeInt(random.nextInt(8) == 0 ? random.nextInt() : body.length);
      frame.writeBytes(body);
      try {
        ch.writeInbound(frame);
        Object decoded = ch.readInbound();
        if (decoded != null) {
          assertThat(decoded.getClass().getName()).matches("(io\\.flock\\.|java\\.lang\\.).*");
        }
      } catch (DecoderException expected) {
        // refused
      }
      ch.finishAndReleaseAll();
    }
  }
}
