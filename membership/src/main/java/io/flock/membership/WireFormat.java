package io.flock.membership;

/**
 * How one type is written to and read from the wire, for types that cannot be written field by
 * field. {@link #read} must read exactly what {@link #write} wrote; it sees bytes from an
 * authenticated peer and throws ({@link IllegalArgumentException} or any runtime exception) on
 * anything malformed, which closes that one connection. Implementations must be stateless: one
 * instance serves every connection's thread.
 *
 * @param <T> the type
 */
public interface WireFormat<T> {
  /** Writes {@code value}. */
  void write(WireOutput out, T value);

  /** Reads a value written by {@link #write}. */
  T read(WireInput in);
}
