package io.flock.benchmarks;

import io.flock.membership.storage.Fsync;
import io.flock.membership.storage.Storage;
import io.flock.membership.storage.StorageLog;
import io.flock.supervisor.ChildInfo;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.ChildState;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.testkit.TestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * Durable state (issue 20). First the two candidate stores for a durable scope's log, one thread
 * appending records of a checkpoint delta's size, each written to the operating system before the
 * next (a durable scope acknowledges nothing before): Flock's file log (a file per scope, length +
 * CRC32C per record, rewritten as a snapshot when it grows) under each fsync policy, and H2's
 * MVStore (a put and a commit per record; with a sync per record too). Then the read back a restart
 * does. Then 3 in-JVM nodes with a durable supervisor: the whole cluster stops and starts again,
 * and the time until its 100,000 children run again.
 */
final class StorageBenchmark {
  private StorageBenchmark() {}

  private static final int RECORDS = 20_000;
  private static final int BYTES = 128;

  static void run(boolean restart) throws Exception {
    System.out.println("## Durable logs: one thread, " + RECORDS + " records of " + BYTES + " B");
    System.out.println("| store | write p50 | write p99 | writes/s | read back | on disk |");
    System.out.println("|---|---|---|---|---|---|");
    for (int round = 0; round < 2; round++) {
      fileLog("file log, fsync never (the OS writes back)", Fsync.never());
      fileLog("file log, fsync every 100 ms (default)", Fsync.DEFAULT);
      fileLog("file log, fsync every write", Fsync.everyWrite());
      mvStore("MVStore, commit per write", false);
      mvStore("MVStore, commit + sync per write", true);
    }
    if (restart) {
      System.out.println();
      System.out.println("## A whole-cluster restart (3 nodes in one JVM, durable supervisor)");
      System.out.println("| children | strategy | all running again after | note |");
      System.out.println("|---|---|---|---|");
      restart(Integer.getInteger("flock.bench.children", 100_000));
    }
  }

  private static byte[] record(int i) {
    byte[] r = new byte[BYTES];
    r[0] = (byte) i;
    r[1] = (byte) (i >> 8);
    return r;
  }

  private static void fileLog(String what, Fsync fsync) throws IOException {
    Path dir = Files.createTempDirectory("flock-bench-log");
    try {
      long[] lat = new long[RECORDS];
      long t0 = System.nanoTime();
      try (Storage s = Storage.files(dir, fsync)) {
        StorageLog log = s.open("bench");
        for (int i = 0; i < RECORDS; i++) {
          long t = System.nanoTime();
          log.append(record(i));
          lat[i] = System.nanoTime() - t;
        }
      }
      long total = System.nanoTime() - t0;
      long r0 = System.nanoTime();
      int[] n = new int[1];
      try (Storage s = Storage.files(dir, fsync)) {
        s.open("bench").read(r -> n[0]++);
      }
      long read = System.nanoTime() - r0;
      if (n[0] != RECORDS) {
        throw new AssertionError("read back " + n[0]);
      }
      row(what, lat, total, read, size(dir));
    } finally {
      delete(dir);
    }
  }

  private static void mvStore(String what, boolean sync) throws IOException {
    Path dir = Files.createTempDirectory("flock-bench-mv");
    String file = dir.resolve("bench.mv").toString();
    try {
      long[] lat = new long[RECORDS];
      long t0 = System.nanoTime();
      MVStore store = new MVStore.Builder().fileName(file).autoCommitDisabled().open();
      try {
        MVMap<Integer, byte[]> map = store.openMap("bench");
        for (int i = 0; i < RECORDS; i++) {
          long t = System.nanoTime();
          map.put(i, record(i));
          store.commit();
          if (sync) {
            store.sync();
          }
          lat[i] = System.nanoTime() - t;
        }
      } finally {
        store.close();
      }
      long total = System.nanoTime() - t0;
      long r0 = System.nanoTime();
      int n = 0;
      MVStore again = new MVStore.Builder().fileName(file).readOnly().open();
      try {
        MVMap<Integer, byte[]> map = again.openMap("bench");
        for (var e : map.entrySet()) {
          if (e.getValue().length == BYTES) {
            n++;
          }
        }
      } finally {
        again.close();
      }
      long read = System.nanoTime() - r0;
      if (n != RECORDS) {
        throw new AssertionError("read back " + n);
      }
      row(what, lat, total, read, size(dir));
    } finally {
      delete(dir);
    }
  }

  private static void row(String what, long[] lat, long total, long read, long bytes) {
    Arrays.sort(lat);
    System.out.printf(
        Locale.ROOT,
        "| %s | %.1f µs | %.1f µs | %,.0f | %.1f ms | %,d KiB |%n",
        what,
        lat[lat.length / 2] / 1e3,
        lat[lat.length * 99 / 100] / 1e3,
        RECORDS / (total / 1e9),
        read / 1e6,
        bytes / 1024);
  }

  private static void restart(int children) throws Exception {
    Path disk = Files.createTempDirectory("flock-bench-restart");
    boolean quorum = Boolean.getBoolean("flock.bench.quorum");
    try (TestCluster c =
        TestCluster.start(3, disk, b -> b.wireTypes(DistributedSupervisor.wireTypes()))) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "3 nodes up");
      List<DistributedSupervisor> sups = supervisors(c, quorum);
      List<CompletableFuture<?>> starts = new ArrayList<>();
      for (int i = 0; i < children; i++) {
        starts.add(sups.get(0).startChild(ChildSpec.of("child-" + i, "park")));
        if (starts.size() % 2_000 == 0) {
          starts.get(starts.size() - 1).get(60, TimeUnit.SECONDS);
        }
      }
      CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0]))
          .get(300, TimeUnit.SECONDS);
      awaitRunning(sups, children);
      // A power cut: every link cut, then every node stops.
      for (int i = 0; i < 3; i++) {
        c.partition(Set.of(i));
      }
      sups.forEach(DistributedSupervisor::close);
      for (int i = 0; i < 3; i++) {
        c.kill(i);
      }
      c.heal();
      long t0 = System.nanoTime();
      for (int i = 0; i < 3; i++) {
        c.restart(i);
      }
      TestCluster.await(Duration.ofSeconds(30), c::converged, "3 nodes up again");
      List<DistributedSupervisor> again = supervisors(c, quorum);
      long formed = System.nanoTime() - t0;
      awaitRunning(again, children);
      long all = System.nanoTime() - t0;
      System.out.printf(
          Locale.ROOT,
          "| %,d | %s | %.2f s | the cluster formed and the supervisors read their disks after"
              + " %.2f s; %,d KiB on disk over the 3 nodes |%n",
          children,
          quorum ? "uniformQuorum" : "uniform",
          all / 1e9,
          formed / 1e9,
          size(disk) / 1024);
      again.forEach(DistributedSupervisor::close);
    } finally {
      delete(disk);
    }
  }

  private static List<DistributedSupervisor> supervisors(TestCluster c, boolean quorum) {
    List<DistributedSupervisor> sups = new ArrayList<>();
    for (int i = 0; i < c.size(); i++) {
      sups.add(
          DistributedSupervisor.builder("bench", c.node(i))
              .strategy(
                  quorum ? DistributionStrategy.uniformQuorum() : DistributionStrategy.uniform())
              .durable()
              .factory("park", spec -> ctx -> Thread.sleep(Long.MAX_VALUE))
              .start());
    }
    return sups;
  }

  private static void awaitRunning(List<DistributedSupervisor> sups, int children) {
    try {
      TestCluster.await(
          Duration.ofSeconds(Long.getLong("flock.bench.restartWaitSeconds", 300)),
          Duration.ofMillis(200),
          () -> running(sups).values().stream().mapToInt(Integer::intValue).sum() == children,
          children + " children running");
    } catch (AssertionError e) {
      Map<String, Integer> copies = running(sups);
      long doubled = copies.values().stream().filter(n -> n > 1).count();
      List<String> some =
          copies.entrySet().stream()
              .filter(en -> en.getValue() > 1)
              .map(Map.Entry::getKey)
              .limit(5)
              .toList();
      StringBuilder missing = new StringBuilder();
      int shown = 0;
      for (int i = 0; i < children && shown < 3; i++) {
        String id = "child-" + i;
        if (copies.containsKey(id)) {
          continue;
        }
        shown++;
        missing.append("; ").append(id).append(':');
        for (DistributedSupervisor s : sups) {
          String placed =
              s.whichChildren().join().stream()
                  .filter(r -> r.id().equals(id))
                  .map(r -> r.node().name() + "#" + r.node().incarnation() + "/g" + r.generation())
                  .findFirst()
                  .orElse("none");
          String here =
              s.localChildren().join().stream()
                  .filter(info -> info.id().equals(id))
                  .map(info -> info.state().toString())
                  .findFirst()
                  .orElse("-");
          missing.append(' ').append(placed).append(" here ").append(here);
        }
      }
      throw new AssertionError(
          e.getMessage()
              + String.format(
                  Locale.ROOT,
                  ": %,d ids running, %,d missing, %,d running twice or more (%s)%s",
                  copies.size(),
                  children - copies.size(),
                  doubled,
                  some,
                  missing),
          e);
    }
  }

  /** Child id to the number of nodes it runs on now. */
  private static Map<String, Integer> running(List<DistributedSupervisor> sups) {
    Map<String, Integer> copies = new HashMap<>();
    for (DistributedSupervisor s : sups) {
      for (ChildInfo info : s.localChildren().join()) {
        if (info.state() == ChildState.RUNNING) {
          copies.merge(info.id(), 1, Integer::sum);
        }
      }
    }
    return copies;
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
