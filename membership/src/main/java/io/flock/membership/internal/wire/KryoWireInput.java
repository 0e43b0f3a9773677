package io.flock.membership.internal.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import io.flock.membership.WireInput;

/** {@link WireInput} over Kryo. */
final class KryoWireInput implements WireInput {
  private final Kryo kryo;
  private final Input in;

  KryoWireInput(Kryo kryo, Input in) {
    this.kryo = kryo;
    this.in = in;
  }

  @Override
  public byte readByte() {
    return in.readByte();
  }

  @Override
  public boolean readBoolean() {
    return in.readBoolean();
  }

  @Override
  public int readVarInt() {
    return in.readVarInt(true);
  }

  @Override
  public long readVarLong() {
    return in.readVarLong(true);
  }

  @Override
  public byte[] readBytes(int maxLength) {
    int n = in.readVarInt(true);
    if (n < 0 || n > maxLength) {
      throw new IllegalArgumentException("malformed bytes: length " + n + " over " + maxLength);
    }
    try {
      return in.readBytes(n);
    } catch (com.esotericsoftware.kryo.KryoException e) {
      throw new IllegalArgumentException("malformed bytes: " + e.getMessage(), e);
    }
  }

  @Override
  public String readString() {
    String s = in.readString();
    if (s == null) {
      throw new IllegalArgumentException("null string");
    }
    return s;
  }

  @Override
  public <T> T read(Class<T> type) {
    return kryo.readObject(in, type);
  }

  @Override
  public Object readValue() {
    Object v;
    try {
      v = kryo.readClassAndObject(in);
    } catch (com.esotericsoftware.kryo.KryoException e) {
      throw new IllegalArgumentException("malformed value: " + e.getMessage(), e);
    }
    if (v == null) {
      throw new IllegalArgumentException("null value");
    }
    return v;
  }
}
