package io.flock.membership.storage;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link Storage}: one file per log, {@code <name>.log}, holding an 8-byte magic and
 * then records of {@code [length: int][CRC32C of the payload: int][payload]}. A rewrite goes to a
 * temporary file that is forced and then moved over the log atomically. A lock file keeps a second
 * process out of the directory.
 *
 * <p>Threading: {@link #open} and {@link #close} from any thread; a log from one thread at a time,
 * while the fsync thread forces it concurrently ({@link FileChannel} allows both).
 */
final class FileStorage implements Storage {
  private static final Logger log = LoggerFactory.getLogger(FileStorage.class);
  static final byte[] MAGIC = "FLOCKLG1".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = 8;

  private final Path directory;
  private final Fsync fsync;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Map<String, FileLog> logs = new ConcurrentHashMap<>();
  private final @Nullable ScheduledExecutorService forcer;
  private volatile boolean closed;

  FileStorage(Path directory, Fsync fsync) throws IOException {
    this.directory = requireNonNull(directory, "directory");
    this.fsync = requireNonNull(fsync, "fsync");
    Files.createDirectories(directory);
    this.lockChannel =
        FileChannel.open(
            directory.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = lockChannel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      l = null; // held by another storage of this JVM
    }
    if (l == null) {
      lockChannel.close();
      throw new IllegalStateException(
          "storage directory " + directory + " is in use by another process");
    }
    this.lock = l;
    java.time.Duration every = fsync.interval();
    if (every != null && !every.isZero()) {
      forcer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "flock-storage-fsync");
                t.setDaemon(true);
                return t;
              });
      long nanos = every.toNanos();
      var unused =
          forcer.scheduleWithFixedDelay(this::forceAll, nanos, nanos, TimeUnit.NANOSECONDS);
    } else {
      forcer = null;
    }
  }

  @Override
  public StorageLog open(String name) throws IOException {
    requireNonNull(name, "name");
    if (closed) {
      throw new IllegalStateException("storage is closed");
    }
    Path file = directory.resolve(fileName(name));
    FileLog opened = new FileLog(name, file);
    if (logs.putIfAbsent(name, opened) != null) {
      opened.channel.close();
      throw new IllegalStateException("log " + name + " is open already");
    }
    return opened;
  }

  @Override
  public java.util.Set<String> names() throws IOException {
    if (closed) {
      throw new IllegalStateException("storage is closed");
    }
    java.util.Set<String> names = new java.util.TreeSet<>();
    try (java.util.stream.Stream<Path> files = Files.list(directory)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String file = f.getFileName().toString();
        if (file.endsWith(".log") && Files.isRegularFile(f)) {
          String name = nameOf(file);
          if (name != null) {
            names.add(name);
          }
        }
      }
    }
    return names;
  }

  /** The name {@link #fileName} made {@code file} of, or null if it made no such file name. */
  static @Nullable String nameOf(String file) {
    String stem = file.substring(0, file.length() - ".log".length());
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < stem.length(); i++) {
      char c = stem.charAt(i);
      if (c == '%') {
        if (i + 2 >= stem.length()) {
          return null;
        }
        int hi = Character.digit(stem.charAt(i + 1), 16);
        int lo = Character.digit(stem.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        return null;
      }
    }
    String name = bytes.toString(StandardCharsets.UTF_8);
    return fileName(name).equals(file) ? name : null;
  }

  /** A file name for {@code name}: letters, digits, '.', '-', '_' kept, every other byte %XX. */
  static String fileName(String name) {
    StringBuilder b = new StringBuilder();
    for (byte c : name.getBytes(StandardCharsets.UTF_8)) {
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || (c == '.' && b.length() > 0)) {
        b.append((char) c);
      } else {
        b.append('%').append(String.format(java.util.Locale.ROOT, "%02X", c & 0xFF));
      }
    }
    return b.append(".log").toString();
  }

  private void forceAll() {
    for (FileLog l : logs.values()) {
      l.forceIfDirty();
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (forcer != null) {
      forcer.shutdown();
    }
    for (FileLog l : logs.values()) {
      l.close();
    }
    lock.release();
    lockChannel.close();
  }

  private final class FileLog implements StorageLog {
    private final String name;
    private final Path file;
    private volatile FileChannel channel;
    private volatile boolean dirty;
    private long size; // the file's size (the log's one thread): no syscall per append to learn it
    private boolean open = true; // guarded by this

    FileLog(String name, Path file) throws IOException {
      this.name = name;
      this.file = file;
      this.channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      if (channel.size() < HEADER) {
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(MAGIC), 0);
        channel.force(true);
      } else {
        ByteBuffer magic = ByteBuffer.allocate(HEADER);
        readFully(magic, 0);
        if (!java.util.Arrays.equals(magic.array(), MAGIC)) {
          channel.close();
          throw new IOException(file + " is not a Flock log (wrong magic)");
        }
      }
      channel.position(channel.size());
      size = channel.size();
    }

    @Override
    public void read(Consumer<byte[]> record) throws IOException {
      requireNonNull(record, "record");
      long size = channel.size();
      long at = HEADER;
      ByteBuffer head = ByteBuffer.allocate(8);
      String torn = null;
      while (at < size) {
        if (size - at < 8) {
          torn = "a record header cut short";
          break;
        }
        head.clear();
        readFully(head, at);
        int length = head.getInt(0);
        int crc = head.getInt(4);
        if (length < 0 || length > size - at - 8) {
          torn = "a record cut short (" + length + " bytes announced)";
          break;
        }
        ByteBuffer payload = ByteBuffer.allocate(length);
        readFully(payload, at + 8);
        if (crc(payload.array()) != crc) {
          torn = "a record whose checksum does not match";
          break;
        }
        record.accept(payload.array());
        at += 8 + length;
      }
      if (torn != null) {
        log.warn(
            "log {} ({}): {} at byte {}; cutting the last {} bytes",
            name,
            file,
            torn,
            at,
            size - at);
        channel.truncate(at);
        channel.force(true);
      }
      channel.position(channel.size());
      this.size = channel.size();
    }

    private void readFully(ByteBuffer into, long at) throws IOException {
      long pos = at;
      while (into.hasRemaining()) {
        int n = channel.read(into, pos);
        if (n < 0) {
          throw new IOException(file + ": unexpected end at byte " + pos);
        }
        pos += n;
      }
    }

    @Override
    public void append(byte[] record) throws IOException {
      requireNonNull(record, "record");
      checkOpen();
      ByteBuffer buf = frame(record);
      int n = buf.remaining();
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
      size += n;
      if (fsync.everyWriteForced()) {
        channel.force(false);
      } else {
        dirty = true;
      }
    }

    @Override
    public synchronized void rewrite(List<byte[]> records) throws IOException {
      requireNonNull(records, "records");
      checkOpen();
      List<ByteBuffer> frames = new ArrayList<>(records.size() + 1);
      frames.add(ByteBuffer.wrap(MAGIC));
      for (byte[] r : records) {
        frames.add(frame(requireNonNull(r, "records element")));
      }
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (FileChannel out =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        for (ByteBuffer b : frames) {
          while (b.hasRemaining()) {
            out.write(b);
          }
        }
        out.force(true);
      }
      channel.close();
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      forceDirectory();
      channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      channel.position(channel.size());
      size = channel.size();
      dirty = false;
    }

    private void forceDirectory() {
      try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
        dir.force(true);
      } catch (IOException | UnsupportedOperationException e) {
        // Some file systems cannot open a directory; the move itself is atomic there.
      }
    }

    @Override
    public long bytes() {
      return size;
    }

    synchronized void forceIfDirty() {
      if (!dirty || !open) {
        return;
      }
      dirty = false;
      try {
        channel.force(false);
      } catch (IOException e) {
        dirty = true;
        log.warn("log {}: cannot force it to the device: {}", name, e.toString());
      }
    }

    private synchronized void checkOpen() {
      if (!open) {
        throw new IllegalStateException("log " + name + " is closed");
      }
    }

    @Override
    public synchronized void close() throws IOException {
      if (!open) {
        return;
      }
      open = false;
      logs.remove(name, this);
      if (fsync.interval() != null) {
        channel.force(false);
      }
      channel.close();
    }
  }

  private static ByteBuffer frame(byte[] record) {
    ByteBuffer buf = ByteBuffer.allocate(8 + record.length);
    buf.putInt(record.length).putInt(crc(record)).put(record).flip();
    return buf;
  }

  private static int crc(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes, 0, bytes.length);
    return (int) c.getValue();
  }
}
