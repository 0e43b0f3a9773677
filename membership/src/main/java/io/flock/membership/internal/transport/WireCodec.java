package io.flock.membership.internal.transport;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.jspecify.annotations.Nullable;

/**
 * Frames and Kryo, one instance pair per channel (not {@code @Sharable}: each holds its Kryo).
 *
 * <pre>
 *  bytes ──► Decoder: [int length][byte header][kryo object] ──► heap record ──► handlers
 *  record ──► Encoder ──► [int length][byte header][kryo object] ──► bytes
 * </pre>
 *
 * The header is {@link Wire#VERSION}, or {@link Wire#DEFLATED} when the Kryo body is deflated: the
 * encoder deflates bodies above {@link #COMPRESS_ABOVE} bytes (catch-up chunks, large deltas) when
 * that makes them smaller; the decoder inflates into at most the frame limit, so a small frame
 * cannot inflate into a large allocation. The decoder copies each frame's bytes out before
 * decoding, so no {@link ByteBuf} ever reaches a handler; the frame limit can be raised once the
 * handshake has succeeded.
 */
final class WireCodec {
  /** Kryo bodies larger than this are deflated. */
  static final int COMPRESS_ABOVE = 8 * 1024;

  private WireCodec() {}

  /** Length-prefixed frames with a hard, adjustable maximum, decoded into records. */
  static final class Decoder extends ByteToMessageDecoder {
    private final Consumer<Kryo> registrar;
    private @Nullable Kryo kryo; // made once the handshake succeeded
    private @Nullable Inflater inflater; // made at the first deflated frame
    private final java.util.concurrent.atomic.LongAdder bytesIn;
    private int maxFrameBytes;
    private boolean failed;

    Decoder(Consumer<Kryo> registrar, int maxFrameBytes) {
      this(registrar, maxFrameBytes, new java.util.concurrent.atomic.LongAdder());
    }

    Decoder(Consumer<Kryo> registrar, int maxFrameBytes, java.util.concurrent.atomic.LongAdder in) {
      this.registrar = registrar;
      this.maxFrameBytes = maxFrameBytes;
      this.bytesIn = in;
    }

    /**
     * The handshake succeeded (on the channel's event loop): from now on Kryo frames decode, up to
     * {@code max} bytes. Before this only handshake frames do.
     */
    void authenticated(int max) {
      this.maxFrameBytes = max;
      this.kryo = Wire.newKryo(registrar);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (failed) {
        in.skipBytes(in.readableBytes()); // the stream is unusable after a bad frame
        return;
      }
      try {
        decodeFrame(in, out);
      } catch (RuntimeException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        throw e;
      }
    }

    private void decodeFrame(ByteBuf in, List<Object> out) {
      if (in.readableBytes() < 4) {
        return;
      }
      int length = in.getInt(in.readerIndex());
      if (length < 1) {
        throw new CorruptedFrameException("frame length " + length);
      }
      if (length > maxFrameBytes) {
        throw new TooLongFrameException(
            "frame of " + length + " bytes exceeds the limit of " + maxFrameBytes);
      }
      if (in.readableBytes() < 4 + length) {
        return;
      }
      in.skipBytes(4);
      bytesIn.add(4L + length);
      byte[] frame = ByteBufUtil.getBytes(in, in.readerIndex(), length);
      in.skipBytes(length);
      if (frame[0] == Wire.HANDSHAKE) {
        out.add(HandshakeCodec.decode(frame, 1, length));
        return;
      }
      Kryo k = kryo;
      if (k == null) {
        throw new CorruptedFrameException(
            "a frame with header " + frame[0] + " before authentication (only the handshake)");
      }
      Input input;
      if (frame[0] == Wire.VERSION) {
        input = new Input(frame, 1, length - 1);
      } else if (frame[0] == Wire.DEFLATED) {
        byte[] body = inflate(frame, length);
        input = new Input(body, 0, body.length);
        length = body.length;
      } else {
        throw new CorruptedFrameException("unsupported wire version " + frame[0]);
      }
      Object message;
      try {
        message = k.readClassAndObject(input);
      } catch (RuntimeException e) {
        throw new DecoderException("undecodable message: " + e.getMessage(), e);
      }
      if (message == null) {
        throw new CorruptedFrameException("null message");
      }
      if (input.position() != length) {
        throw new CorruptedFrameException(
            "trailing bytes in frame: " + (length - input.position()));
      }
      out.add(message);
    }

    /** The deflated body of {@code frame}, inflated into at most the frame limit. */
    private byte[] inflate(byte[] frame, int length) {
      Inflater inflater = this.inflater;
      if (inflater == null) {
        inflater = new Inflater();
        this.inflater = inflater;
      }
      inflater.reset();
      inflater.setInput(frame, 1, length - 1);
      byte[] out = new byte[Math.min(maxFrameBytes, Math.max(64, 4 * length))];
      int size = 0;
      try {
        while (!inflater.finished()) {
          if (size == out.length) {
            if (out.length >= maxFrameBytes) {
              throw new TooLongFrameException(
                  "deflated frame inflates beyond the limit of " + maxFrameBytes + " bytes");
            }
            out = Arrays.copyOf(out, (int) Math.min(maxFrameBytes, 2L * out.length));
          }
          int n = inflater.inflate(out, size, out.length - size);
          if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
            throw new CorruptedFrameException("truncated deflated frame");
          }
          size += n;
        }
      } catch (DataFormatException e) {
        throw new CorruptedFrameException("bad deflated frame: " + e.getMessage(), e);
      }
      if (inflater.getRemaining() > 0) {
        throw new CorruptedFrameException(
            "trailing bytes after the deflated body: " + inflater.getRemaining());
      }
      return size == out.length ? out : Arrays.copyOf(out, size);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
      Inflater i = inflater;
      if (i != null) {
        i.end();
      }
    }
  }

  /** Records into length-prefixed frames. */
  static final class Encoder extends MessageToByteEncoder<Object> {
    /** Buffers grown past this by one large frame are dropped after it. */
    static final int KEEP_BUFFER_BYTES = 64 * 1024;

    private final Consumer<Kryo> registrar;
    private @Nullable Kryo kryo; // made at the first message after the handshake
    private final int maxFrameBytes;
    private Output output;
    private @Nullable Deflater deflater; // made at the first large frame
    private byte[] deflated = new byte[0];
    private final java.util.concurrent.atomic.LongAdder bytesOut;

    Encoder(Consumer<Kryo> registrar, int maxFrameBytes) {
      this(registrar, maxFrameBytes, new java.util.concurrent.atomic.LongAdder());
    }

    Encoder(
        Consumer<Kryo> registrar, int maxFrameBytes, java.util.concurrent.atomic.LongAdder out) {
      this.registrar = registrar;
      this.maxFrameBytes = maxFrameBytes;
      this.bytesOut = out;
      // Bounded: a message larger than a frame fails while it is written, not after.
      this.output = new Output(1024, maxFrameBytes);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object message, ByteBuf out) {
      if (HandshakeCodec.handles(message)) {
        byte[] body = HandshakeCodec.encode(message);
        out.writeInt(1 + body.length);
        out.writeByte(Wire.HANDSHAKE);
        out.writeBytes(body);
        bytesOut.add(5L + body.length);
        return;
      }
      Kryo k = kryo;
      if (k == null) {
        k = Wire.newKryo(registrar);
        kryo = k;
      }
      try {
        encodeKryo(k, message, out);
      } finally {
        if (output.getBuffer().length > KEEP_BUFFER_BYTES) {
          output = new Output(1024, maxFrameBytes);
        }
        if (deflated.length > KEEP_BUFFER_BYTES) {
          deflated = new byte[0];
        }
      }
    }

    private void encodeKryo(Kryo k, Object message, ByteBuf out) {
      output.reset();
      output.writeByte(Wire.VERSION);
      try {
        k.writeClassAndObject(output, message);
      } catch (com.esotericsoftware.kryo.KryoException e) {
        if (!io.flock.membership.internal.wire.WireTypeRegistry.overflowed(e)) {
          throw e;
        }
        throw new EncoderException(
            message.getClass().getSimpleName()
                + " exceeds the frame limit of "
                + maxFrameBytes
                + " bytes",
            e);
      }
      int length = output.position();
      byte[] body = output.getBuffer();
      if (length - 1 > COMPRESS_ABOVE) {
        int packed = deflate(body, length);
        if (packed > 0) {
          out.writeInt(1 + packed);
          out.writeByte(Wire.DEFLATED);
          out.writeBytes(deflated, 0, packed);
          bytesOut.add(5L + packed);
          return;
        }
      }
      out.writeInt(length);
      out.writeBytes(body, 0, length);
      bytesOut.add(4L + length);
    }

    /**
     * Deflates {@code body[1..length)} into {@link #deflated}; returns its size, or 0 when it would
     * not be smaller.
     */
    private int deflate(byte[] body, int length) {
      if (deflated.length < length) {
        deflated = new byte[length];
      }
      Deflater deflater = this.deflater;
      if (deflater == null) {
        deflater = new Deflater(Deflater.BEST_SPEED);
        this.deflater = deflater;
      }
      deflater.reset();
      deflater.setInput(body, 1, length - 1);
      deflater.finish();
      int size = 0;
      int room = length - 2; // smaller than the plain body, header included
      while (!deflater.finished() && size < room) {
        size += deflater.deflate(deflated, size, room - size);
      }
      return deflater.finished() ? size : 0;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
      Deflater d = deflater;
      if (d != null) {
        d.end();
      }
      super.handlerRemoved(ctx);
    }
  }
}
