package io.flock.cluster;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A test node's ledger: what its children actually did, a line each, in memory and (with a file)
 * appended to the file at once, so it survives a SIGKILL; read back from the file on start, so a
 * restarted container keeps its evidence. The container tests check it, never what nodes say.
 *
 * <p>Threading: any thread.
 */
final class LedgerFile {
  private final List<String> lines = new ArrayList<>(); // guarded by this
  private final @Nullable Path file;
  private @Nullable OutputStream out; // guarded by this

  LedgerFile(@Nullable Path file) throws IOException {
    this.file = file;
    if (file != null && Files.exists(file)) {
      lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
    }
  }

  /**
   * Appends one line. One open file, one unbuffered write per line: each line is in the file (the
   * OS's) at once; opening the file for every line made hundreds of children stopping at once queue
   * here for about a millisecond each, and a hand-over waited for the last of them.
   */
  synchronized void record(String line) {
    Path f = file;
    if (f != null) {
      try {
        OutputStream o = out;
        if (o == null) {
          o = new FileOutputStream(f.toFile(), true);
          out = o;
        }
        o.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the ledger " + f, e);
      }
    }
    lines.add(line);
  }

  /** A copy of every line so far. */
  synchronized List<String> lines() {
    return new ArrayList<>(lines);
  }

  synchronized void close() {
    OutputStream o = out;
    out = null;
    if (o != null) {
      try {
        o.close();
      } catch (IOException e) {
        // the lines are written already (unbuffered); nothing is lost
      }
    }
  }
}
