package io.flock.membership;

/** What a {@link WireFormat} writes to. Not thread-safe: used by one thread at a time. */
public interface WireOutput {
  /** Writes a byte. */
  void writeByte(int value);

  /** Writes a boolean. */
  void writeBoolean(boolean value);

  /** Writes a non-negative int in 1 to 5 bytes. */
  void writeVarInt(int value);

  /** Writes a non-negative long in 1 to 9 bytes. */
  void writeVarLong(long value);

  /** Writes a non-null byte array (its length, then its bytes). */
  void writeBytes(byte[] value);

  /** Writes a non-null string. */
  void writeString(String value);

  /** Writes a value of a registered type (not null) as that type. */
  <T> void write(Class<T> type, T value);

  /**
   * Writes a value of any registered type (not null) with its type id, for a field whose type
   * varies (the messages of a batch); {@link WireInput#readValue} reads it back.
   *
   * @throws IllegalArgumentException if its type (or a type it contains) is not registered
   */
  void writeValue(Object value);
}
