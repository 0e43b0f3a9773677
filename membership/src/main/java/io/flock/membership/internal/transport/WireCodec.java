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
    private final Kryo kryo;
    private final Inflater inflater = new Inflater();
    private final java.util.concurrent.atomic.LongAdder bytesIn;
    private int maxFrameBytes;
    private boolean failed;

    Decoder(Consumer<Kryo> registrar, int maxFrameBytes) {
      this(registrar, maxFrameBytes, new java.util.concurrent.atomic.LongAdder());
    }

    Decoder(Consumer<Kryo> registrar, int maxFrameBytes, java.util.concurrent.atomic.LongAdder in) {
      this.kryo = Wire.newKryo(registrar);
      this.maxFrameBytes = maxFrameBytes;
      this.bytesIn = in;
    }

    /** Raises (or lowers) the frame limit, from the channel's event loop. */
    void maxFrameBytes(int max) {
      this.maxFrameBytes = max;
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
        message = kryo.readClassAndObject(input);
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
      inflater.end();
    }
  }

  /** Records into length-prefixed frames. */
  static final class Encoder extends MessageToByteEncoder<Object> {
    private final Kryo kryo;
    private final int maxFrameBytes;
    private final Output output = new Output(1024, -1);
    private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    private byte[] deflated = new byte[0];
    private final java.util.concurrent.atomic.LongAdder bytesOut;

    Encoder(Consumer<Kryo> registrar, int maxFrameBytes) {
      this(registrar, maxFrameBytes, new java.util.concurrent.atomic.LongAdder());
    }

    Encoder(
        Consumer<Kryo> registrar, int maxFrameBytes, java.util.concurrent.atomic.LongAdder out) {
      this.kryo = Wire.newKryo(registrar);
      this.maxFrameBytes = maxFrameBytes;
      this.bytesOut = out;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object message, ByteBuf out) {
      output.reset();
      output.writeByte(Wire.VERSION);
      kryo.writeClassAndObject(output, message);
      int length = output.position();
      if (length > maxFrameBytes) {
        throw new EncoderException(
            message.getClass().getSimpleName()
                + " of "
                + length
                + " bytes exceeds the frame limit of "
                + maxFrameBytes);
      }
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
      deflater.end();
      super.handlerRemoved(ctx);
    }
  }
}
