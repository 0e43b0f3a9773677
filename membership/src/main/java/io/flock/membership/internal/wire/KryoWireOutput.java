package io.flock.membership.internal.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import io.flock.membership.WireOutput;

/** {@link WireOutput} over Kryo. */
final class KryoWireOutput implements WireOutput {
  private final Kryo kryo;
  private final Output out;

  KryoWireOutput(Kryo kryo, Output out) {
    this.kryo = kryo;
    this.out = out;
  }

  @Override
  public void writeByte(int value) {
    out.writeByte(value);
  }

  @Override
  public void writeBoolean(boolean value) {
    out.writeBoolean(value);
  }

  @Override
  public void writeVarInt(int value) {
    if (value < 0) {
      throw new IllegalArgumentException("writeVarInt takes a non-negative value, was " + value);
    }
    out.writeVarInt(value, true);
  }

  @Override
  public void writeVarLong(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("writeVarLong takes a non-negative value, was " + value);
    }
    out.writeVarLong(value, true);
  }

  @Override
  public void writeBytes(byte[] value) {
    out.writeVarInt(value.length, true);
    out.writeBytes(value);
  }

  @Override
  public void writeString(String value) {
    out.writeString(java.util.Objects.requireNonNull(value, "value"));
  }

  @Override
  public <T> void write(Class<T> type, T value) {
    kryo.writeObject(out, java.util.Objects.requireNonNull(value, "value"));
  }

  @Override
  public void writeValue(Object value) {
    kryo.writeClassAndObject(out, java.util.Objects.requireNonNull(value, "value"));
  }
}
