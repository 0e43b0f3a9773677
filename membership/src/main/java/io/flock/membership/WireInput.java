package io.flock.membership;

/**
 * What a {@link WireFormat} reads from. Every method throws {@link IllegalArgumentException} when
 * the bytes are malformed. Not thread-safe.
 */
public interface WireInput {
  /** Reads a byte. */
  byte readByte();

  /** Reads a boolean. */
  boolean readBoolean();

  /** Reads an int written by {@link WireOutput#writeVarInt}. */
  int readVarInt();

  /** Reads a long written by {@link WireOutput#writeVarLong}. */
  long readVarLong();

  /**
   * Reads a byte array written by {@link WireOutput#writeBytes}.
   *
   * @throws IllegalArgumentException if it is longer than {@code maxLength} or the input ends first
   */
  byte[] readBytes(int maxLength);

  /** Reads a non-null string. */
  String readString();

  /** Reads a value written by {@link WireOutput#write}. */
  <T> T read(Class<T> type);

  /**
   * Reads a value written by {@link WireOutput#writeValue}: only registered types are read.
   *
   * @throws IllegalArgumentException if the input holds a null or an unknown type id
   */
  Object readValue();
}
