package io.flock.membership.storage;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * One append-only log of records (opaque bytes). A record is either wholly in the log after a crash
 * or not at all: a torn or corrupt tail is detected by its checksum and cut when the log is read.
 *
 * <p>Threading: one thread at a time (a scope's journal uses it on the node's core thread).
 */
public interface StorageLog extends AutoCloseable {
  /**
   * Reads every record in order. A tail that is torn (a record cut short) or corrupt (a checksum
   * that does not match) is cut from the log, with one WARN saying how many bytes.
   *
   * @throws IOException if the log cannot be read
   */
  void read(Consumer<byte[]> record) throws IOException;

  /**
   * Appends one record; when this returns the record is in the operating system (and, with {@link
   * Fsync#everyWrite}, on the device).
   *
   * @throws NullPointerException if {@code record} is null
   * @throws IOException if it cannot be written
   */
  void append(byte[] record) throws IOException;

  /**
   * Replaces the whole log by {@code records} atomically (a snapshot): after a crash the log holds
   * either the old records or the new ones.
   *
   * @throws NullPointerException if {@code records} or an element is null
   * @throws IOException if it cannot be written
   */
  void rewrite(List<byte[]> records) throws IOException;

  /** The log's size in bytes. */
  long bytes();

  /** Closes the log, forcing what is unforced. */
  @Override
  void close() throws IOException;
}
