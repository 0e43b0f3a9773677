package io.flock.cluster;

import io.flock.membership.Cluster;
import io.flock.membership.Member;
import io.flock.membership.MemberStatus;
import io.flock.membership.Scope;
import io.flock.singleton.LeaderContext;
import io.flock.singleton.Singleton;
import io.flock.singleton.SingletonStatus;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The demo: a 3-node cluster as separate JVMs on 127.0.0.1, 1,000 children and the singleton {@code
 * boss}, one node killed with SIGKILL, and the time until all 1,000 run again on the survivors,
 * each exactly once, and until the singleton has a new leader if it led on the killed node.
 *
 * <p>Run: {@code ./flock demo}.
 */
public final class Demo {
  private static final int CHILDREN = 1_000;
  private static final Duration LIMIT = Duration.ofSeconds(60);

  private Demo() {}

  public static void main(String[] args) throws Exception {
    long t00 = System.nanoTime();
    List<Process> processes = new ArrayList<>();
    List<Integer> ports = freePorts(3);
    Path logs = Files.createTempDirectory("flock-demo");
    NodeApp observerApp = null;
    Singleton boss = null;
    try {
      String seed = "127.0.0.1:" + ports.get(0);
      for (int i = 0; i < 3; i++) {
        processes.add(spawn("n" + (i + 1), ports.get(i), seed, logs));
      }
      say(
          "started 3 node JVMs (pids %s) on ports %s; their logs are in %s",
          processes.stream().map(Process::pid).toList(), ports, logs);
      observerApp = NodeApp.start(NodeApp.Settings.loopback("observer", 0, List.of(seed), -1));
      Cluster observer = observerApp.cluster();
      observer.setMembers(Set.of("n1", "n2", "n3")).join(); // the observer places nothing on itself
      DistributedSupervisor supervisor = observerApp.supervisor();
      current = supervisor;
      Cluster obs = observer;
      awaitTrue(() -> liveNodes(obs).size() == 3, "3 nodes up");
      say("cluster formed: %s", liveNodes(observer));
      // The observer follows the singleton; it is not a member, so it never leads.
      boss = Singleton.builder("boss", observer).leader(Demo::neverLeads).start();

      long t0 = System.nanoTime();
      List<CompletableFuture<ChildRef>> starts = new ArrayList<>();
      for (int i = 0; i < CHILDREN; i++) {
        starts.add(supervisor.startChild(ChildSpec.of("worker-" + i, "worker")));
      }
      CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0]))
          .get(30, TimeUnit.SECONDS);
      Scope<String, String> running = observer.scope(NodeApp.RUNNING);
      awaitTrue(() -> runningOnce(obs, running) == CHILDREN, "all children running");
      say(
          "%,d children running after %s, each exactly once; spread: %s",
          CHILDREN, since(t0), spread(observer, running));

      Singleton b = boss;
      awaitTrue(() -> b.status().join().leaderSince() != null, "the singleton leads");
      SingletonStatus before = b.status().join();
      say(
          "the singleton 'boss' leads on %s (generation %d, the fencing token)",
          before.leader() == null ? "?" : before.leader().name(), before.generation());

      // The victim is the singleton's node, so both failovers show; n3 if it leads elsewhere.
      String ledOn = before.leader() == null ? "" : before.leader().name();
      String gone = List.of("n1", "n2", "n3").contains(ledOn) ? ledOn : "n3";
      Process victim = processes.get(Integer.parseInt(gone.substring(1)) - 1);
      say("killing %s (pid %d) with SIGKILL", gone, victim.pid());
      long t1 = System.nanoTime();
      victim.destroyForcibly();
      victim.waitFor(10, TimeUnit.SECONDS);
      long killedAt = System.currentTimeMillis();
      awaitTrue(() -> !liveNodes(obs).contains(gone), gone + " unreachable");
      String unreachable = since(t1);
      awaitTrue(() -> isDown(obs, gone), gone + " declared down");
      String down = since(t1);
      awaitTrue(
          () ->
              requireSupervisor().whichChildren().join().stream()
                  .noneMatch(r -> r.node().name().equals(gone)),
          gone + "'s children re-placed");
      String replaced = since(t1);
      awaitTrue(() -> runningOnce(obs, running) == CHILDREN, "all children running again");
      String again = since(t1);
      List<String> twice = overlaps(logs, gone, killedAt);
      say(
          "%s unreachable after %s (its connection closed), declared down after %s, its children"
              + " re-placed after %s; all %,d running again on the survivors after %s; spread: %s",
          gone, unreachable, down, replaced, CHILDREN, again, spread(observer, running));
      if (!twice.isEmpty()) {
        say("%d children ran twice at once (from the ledgers): %s", twice.size(), twice);
        throw new IllegalStateException("children ran twice");
      }
      if (ledOn.equals(gone)) {
        awaitTrue(
            () -> {
              SingletonStatus st = b.status().join();
              return st.leader() != null
                  && !st.leader().name().equals(gone)
                  && st.leaderSince() != null;
            },
            "the singleton leads again");
        SingletonStatus after = b.status().join();
        say(
            "the singleton moved from %s to %s (generation %d) %s after the kill",
            gone,
            after.leader() == null ? "?" : after.leader().name(),
            after.generation(),
            since(t1));
      } else {
        say("the singleton stayed on %s (sticky: its node was not killed)", ledOn);
      }
      say(
          "none ran twice: the children's and the singleton's own start/stop ledgers show no"
              + " overlapping copies");
      say("demo finished in %s", since(t00));
    } finally {
      if (boss != null) {
        boss.close();
      }
      if (observerApp != null) {
        observerApp.close();
      }
      for (Process p : processes) {
        p.destroy();
      }
      for (Process p : processes) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      say("stopped all nodes");
    }
  }

  /** Overlapping copies in the nodes' ledgers; the killed node's open copies end at its kill. */
  private static List<String> overlaps(Path logs, String killed, long killedAt) throws IOException {
    Ledger ledger = new Ledger();
    long now = System.currentTimeMillis();
    for (String name : List.of("n1", "n2", "n3")) {
      Path file = logs.resolve(name + ".ledger");
      if (Files.exists(file)) {
        ledger.add(Files.readString(file), name.equals(killed) ? killedAt : now);
      }
    }
    return ledger.overlaps();
  }

  private static Process spawn(String name, int port, String seed, Path logs) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            NodeApp.class.getName(),
            name,
            String.valueOf(port),
            seed);
    File log = logs.resolve(name + ".log").toFile();
    pb.redirectErrorStream(true).redirectOutput(log);
    pb.environment().put("FLOCK_LEDGER", logs.resolve(name + ".ledger").toString());
    pb.environment().put("FLOCK_SINGLETON", "true");
    return pb.start();
  }

  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports.add(s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
    return ports;
  }

  /** The observer's leader: never called (the observer is not a member). */
  private static io.flock.singleton.Leader neverLeads() {
    return (LeaderContext ctx) -> {
      throw new IllegalStateException("the observer must not lead");
    };
  }

  private static boolean isDown(Cluster observer, String name) {
    return observer.members().join().stream()
        .anyMatch(m -> m.id().name().equals(name) && m.status() == MemberStatus.DOWN);
  }

  private static DistributedSupervisor requireSupervisor() {
    DistributedSupervisor s = current;
    if (s == null) {
      throw new IllegalStateException("no supervisor");
    }
    return s;
  }

  private static volatile @org.jspecify.annotations.Nullable DistributedSupervisor current;

  private static Set<String> liveNodes(Cluster observer) {
    Set<String> live = new java.util.TreeSet<>();
    for (Member m : observer.members().join()) {
      if (m.status() == MemberStatus.UP && m.reachable() && !m.id().equals(observer.self())) {
        live.add(m.id().name());
      }
    }
    return live;
  }

  /** Children running on live nodes if none runs twice, else -1. */
  private static int runningOnce(Cluster observer, Scope<String, String> running) {
    Set<String> live = liveNodes(observer);
    Map<String, String> all = running.snapshot().join();
    Set<String> seen = new HashSet<>();
    for (String node : live) {
      String ids = all.getOrDefault(node, "");
      for (String id : ids.isEmpty() ? new String[0] : ids.split(",")) {
        if (!seen.add(id)) {
          return -1;
        }
      }
    }
    return seen.size();
  }

  private static Map<String, Integer> spread(Cluster observer, Scope<String, String> running) {
    Map<String, Integer> out = new TreeMap<>();
    Map<String, String> all = running.snapshot().join();
    for (String node : liveNodes(observer)) {
      String ids = all.getOrDefault(node, "");
      out.put(node, ids.isEmpty() ? 0 : ids.split(",").length);
    }
    return out;
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("demo: not within " + LIMIT + ": " + what);
      }
      Thread.sleep(10);
    }
  }

  private static String since(long t0) {
    return String.format(Locale.ROOT, "%.2f s", (System.nanoTime() - t0) / 1e9);
  }

  private static void say(String format, Object... args) {
    System.out.printf(Locale.ROOT, "[demo] " + format + "%n", args);
  }
}
