package io.flock.membership.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a node keeps its durable scopes: a named log per scope. One storage belongs to one node
 * (one directory per node; two processes must never share one).
 *
 * <p>Threading: {@link #open} and {@link #close} from any thread; each log as its own docs say.
 */
public interface Storage extends AutoCloseable {
  /**
   * The log named {@code name}, opened (created empty if it does not exist yet). A name is opened
   * at most once per storage.
   *
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalStateException if the log is open already or the storage is closed
   * @throws IOException if it cannot be opened
   */
  StorageLog open(String name) throws IOException;

  /**
   * The names of the logs this storage holds: every name {@link #open opened} on it, by this
   * process or an earlier one. A node reads them as it starts: a durable scope whose log is here
   * takes no part in replication until it is opened again and its log read (before that, an empty
   * replica would answer for what the log holds).
   *
   * @throws IllegalStateException if the storage is closed
   * @throws IOException if they cannot be listed
   */
  java.util.Set<String> names() throws IOException;

  /** Closes every open log (forcing what is unforced) and stops the storage's thread. */
  @Override
  void close() throws IOException;

  /**
   * The default storage: a file per log in {@code directory} (created if absent), forced to the
   * device by {@code fsync}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IOException if the directory cannot be created
   */
  static Storage files(Path directory, Fsync fsync) throws IOException {
    return new FileStorage(directory, fsync);
  }

  /**
   * {@link #files(Path, Fsync)} with {@link Fsync#DEFAULT}.
   *
   * @throws NullPointerException if {@code directory} is null
   * @throws IOException if the directory cannot be created
   */
  static Storage files(Path directory) throws IOException {
    return files(directory, Fsync.DEFAULT);
  }
}
