package io.flock.membership.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStorageTest {
  @TempDir
  @SuppressWarnings("NullAway.Init")
  Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> readAll(StorageLog log) throws IOException {
    List<String> out = new ArrayList<>();
    log.read(r -> out.add(new String(r, StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void recordsComeBackInOrderAfterAReopen() throws IOException {
    try (Storage s = Storage.files(dir)) {
      StorageLog log = s.open("a.scope");
      log.append(b("one"));
      log.append(b("two"));
      log.append(new byte[0]);
    }
    try (Storage s = Storage.files(dir)) {
      assertThat(readAll(s.open("a.scope"))).containsExactly("one", "two", "");
    }
  }

  @Test
  void aTornRecordAtTheEndIsCutAndAppendsGoOnAfterTheLastWholeOne() throws IOException {
    try (Storage s = Storage.files(dir, Fsync.everyWrite())) {
      StorageLog log = s.open("t");
      log.append(b("whole"));
      log.append(b("torn-record"));
    }
    Path file = dir.resolve("t.log");
    long size = Files.size(file);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size - 3); // the crash cut the last record short
    }
    try (Storage s = Storage.files(dir)) {
      StorageLog log = s.open("t");
      assertThat(readAll(log)).containsExactly("whole");
      log.append(b("next"));
    }
    try (Storage s = Storage.files(dir)) {
      assertThat(readAll(s.open("t"))).containsExactly("whole", "next");
    }
  }

  @Test
  void aRecordWhoseChecksumDoesNotMatchEndsTheLog() throws IOException {
    try (Storage s = Storage.files(dir)) {
      StorageLog log = s.open("c");
      log.append(b("good"));
      log.append(b("flipped"));
      log.append(b("after"));
    }
    Path file = dir.resolve("c.log");
    byte[] all = Files.readAllBytes(file);
    int at = new String(all, StandardCharsets.ISO_8859_1).indexOf("flipped");
    all[at] ^= 0x20;
    Files.write(file, all);
    try (Storage s = Storage.files(dir)) {
      assertThat(readAll(s.open("c"))).containsExactly("good");
    }
    assertThat(Files.size(file)).isEqualTo(8 + 8 + 4);
  }

  @Test
  void aRewriteReplacesEverythingAndLeavesNoTemporaryFile() throws IOException {
    try (Storage s = Storage.files(dir, Fsync.never())) {
      StorageLog log = s.open("r");
      for (int i = 0; i < 100; i++) {
        log.append(b("delta" + i));
      }
      log.rewrite(List.of(b("snapshot")));
      log.append(b("after"));
      assertThat(readAll(log)).containsExactly("snapshot", "after");
    }
    try (Storage s = Storage.files(dir)) {
      assertThat(readAll(s.open("r"))).containsExactly("snapshot", "after");
    }
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("lock", "r.log");
    }
  }

  @Test
  void aFileThatIsNoFlockLogIsRefusedNotOverwritten() throws IOException {
    Files.write(dir.resolve("x.log"), b("something else entirely"), StandardOpenOption.CREATE_NEW);
    try (Storage s = Storage.files(dir)) {
      assertThatThrownBy(() -> s.open("x"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("magic");
    }
    assertThat(Files.readString(dir.resolve("x.log"))).isEqualTo("something else entirely");
  }

  @Test
  void oneDirectoryServesOneStorageAndALogIsOpenedOnce() throws IOException {
    try (Storage s = Storage.files(dir)) {
      s.open("once");
      assertThatThrownBy(() -> s.open("once")).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> Storage.files(dir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("in use");
    }
    try (Storage again = Storage.files(dir)) {
      assertThat(again.open("once").bytes()).isEqualTo(8);
    }
  }

  @Test
  void namesBecomeSafeFileNames() {
    assertThat(FileStorage.fileName("supervisor.work.checkpoints"))
        .isEqualTo("supervisor.work.checkpoints.log");
    assertThat(FileStorage.fileName("../etc/passwd")).isEqualTo("%2E.%2Fetc%2Fpasswd.log");
    assertThat(FileStorage.fileName("a b")).isEqualTo("a%20b.log");
  }

  @Test
  void theNamesOfEveryLogOpenedBeforeComeBackAfterAReopen() throws IOException {
    try (Storage s = Storage.files(dir)) {
      assertThat(s.names()).isEmpty();
      s.open("supervisor.work.checkpoints");
      s.open("../odd name é");
      s.open("t").rewrite(List.of(b("x")));
    }
    Files.writeString(dir.resolve("notes.txt"), "not a log");
    Files.writeString(dir.resolve("%zz.log"), "no name of ours");
    try (Storage s = Storage.files(dir)) {
      assertThat(s.names())
          .containsExactlyInAnyOrder("supervisor.work.checkpoints", "../odd name é", "t");
    }
  }

  @SuppressWarnings("NullAway")
  private static String nothing() {
    return null;
  }

  @Test
  void badArgumentsAreRefusedByName() throws IOException {
    assertThatThrownBy(() -> Fsync.every(Duration.ZERO)).hasMessageContaining("interval");
    String none = nothing();
    try (Storage s = Storage.files(dir)) {
      assertThatThrownBy(() -> s.open(none)).hasMessageContaining("name");
    }
  }
}
