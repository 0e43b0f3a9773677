package io.flock.membership;

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
import java.util.List;
import java.util.function.Consumer;

/**
 * Frames and Kryo, one instance pair per channel (not {@code @Sharable}: each holds its Kryo).
 *
 * <pre>
 *  bytes ──► Decoder: [int length][byte version][kryo object] ──► heap record ──► handlers
 *  record ──► Encoder ──► [int length][byte version][kryo object] ──► bytes
 * </pre>
 *
 * The decoder copies each frame's bytes out before decoding, so no {@link ByteBuf} ever reaches a
 * handler; the frame limit can be raised once the handshake has succeeded.
 */
final class WireCodec {
  private WireCodec() {}

  /** Length-prefixed frames with a hard, adjustable maximum, decoded into records. */
  static final class Decoder extends ByteToMessageDecoder {
    private final Kryo kryo;
    private int maxFrameBytes;
    private boolean failed;

    Decoder(Consumer<Kryo> registrar, int maxFrameBytes) {
      this.kryo = Wire.newKryo(registrar);
      this.maxFrameBytes = maxFrameBytes;
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
      byte[] frame = ByteBufUtil.getBytes(in, in.readerIndex(), length);
      in.skipBytes(length);
      if (frame[0] != Wire.VERSION) {
        throw new CorruptedFrameException("unsupported wire version " + frame[0]);
      }
      Input input = new Input(frame, 1, length - 1);
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
  }

  /** Records into length-prefixed frames. */
  static final class Encoder extends MessageToByteEncoder<Object> {
    private final Kryo kryo;
    private final int maxFrameBytes;
    private final Output output = new Output(1024, -1);
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
      out.writeInt(length);
      out.writeBytes(output.getBuffer(), 0, length);
      bytesOut.add(4L + length);
    }
  }
}
