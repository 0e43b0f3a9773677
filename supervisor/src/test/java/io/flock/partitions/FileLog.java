package io.flock.partitions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A partitioned log made for the tests: one file per partition, one item per line, the line number
 * its offset. The worked example of {@link PartitionWorkers}: a worker reads from its position and
 * acknowledges each item it finished.
 *
 * <p>Threading: any thread (each partition's file is read and appended under one lock).
 */
final class FileLog {
  private final Path dir;
  private final int partitions;
  private final List<List<String>> cache = new ArrayList<>(); // what each file holds, in memory

  FileLog(Path dir, int partitions) {
    this.dir = dir;
    this.partitions = partitions;
    for (int p = 0; p < partitions; p++) {
      cache.add(new ArrayList<>());
    }
  }

  int partitions() {
    return partitions;
  }

  private Path file(int partition) {
    return dir.resolve("partition-" + partition + ".log");
  }

  /** Appends one item to {@code partition}; returns its offset. */
  synchronized long append(int partition, String item) {
    try {
      Files.writeString(
          file(partition),
          item + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> items = cache.get(partition);
    items.add(item);
    return items.size() - 1L;
  }

  /** Up to {@code max} items of {@code partition} from {@code offset}, read from its file. */
  synchronized List<String> read(int partition, long offset, int max) {
    List<String> known = cache.get(partition);
    if (offset >= known.size()) {
      return List.of();
    }
    try (var lines = Files.lines(file(partition), StandardCharsets.UTF_8)) {
      return lines.skip(offset).limit(max).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How many items {@code partition} holds. */
  synchronized long size(int partition) {
    return cache.get(partition).size();
  }
}
