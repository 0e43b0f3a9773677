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
import io.flock.supervisor.MessageException;
import io.flock.supervisor.Messenger;
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
 * The demo: a 3-node cluster as separate JVMs on 127.0.0.1, 1,000 children, the singleton {@code
 * boss} and a named child {@code greeter} asked by name from another node. It kills one node with
 * SIGKILL (the singleton's) and shows the time until all 1,000 run again on the survivors, each
 * exactly once, and the singleton's new leader; it restarts the killed node under its name (a new
 * incarnation joins); then it stops the greeter's node with SIGTERM, a graceful hand-over, and
 * shows the gaps of the children it handed over and the greeter answering from its new node. Every
 * step is checked against the ledgers the children themselves write: no copy ever ran beside
 * another.
 *
 * <p>Run: {@code ./flock demo}. The nodes' logs and ledgers go to the folder named by the system
 * property {@code flock.demo.logs} (kept), else to a temporary folder that is removed at the end
 * unless the demo failed.
 */
public final class Demo {
  private static final int CHILDREN = 1_000;
  private static final Duration LIMIT = Duration.ofSeconds(60);
  private static final List<String> NODES = List.of("n1", "n2", "n3");

  private Demo() {}

  public static void main(String[] args) throws Exception {
    long t00 = System.nanoTime();
    Map<String, Process> processes = new TreeMap<>();
    Map<String, List<Long>> deaths = new TreeMap<>();
    List<Integer> ports = freePorts(3);
    String configured = System.getProperty("flock.demo.logs");
    Path logs = configured == null ? Files.createTempDirectory("flock-demo") : Path.of(configured);
    if (configured != null) {
      clean(logs);
    }
    boolean ok = false;
    NodeApp observerApp = null;
    Singleton boss = null;
    try {
      // Every node names all three as seeds, so a node restarted later finds the others (a node
      // whose only seed is itself forms a cluster of its own, by design).
      List<String> seed = ports.stream().map(p -> "127.0.0.1:" + p).toList();
      for (int i = 0; i < 3; i++) {
        processes.put(NODES.get(i), spawn(NODES.get(i), ports.get(i), seed, logs));
      }
      say(
          "started 3 node JVMs (pids %s) on ports %s; their logs and ledgers are in %s",
          processes.values().stream().map(Process::pid).toList(), ports, logs);
      observerApp = NodeApp.start(NodeApp.Settings.loopback("observer", 0, seed, -1));
      Cluster observer = observerApp.cluster();
      observer.setMembers(Set.copyOf(NODES)).join(); // the observer places nothing on itself
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
      awaitAllRunning(obs, running, "all children running");
      say(
          "%,d children running after %s, each exactly once; spread: %s",
          CHILDREN, since(t0), spread(observer, running));

      ChildRef greeter =
          supervisor
              .startChild(ChildSpec.of("greeter", "echo").withName("greeter"))
              .get(10, TimeUnit.SECONDS);
      say("started the child 'greeter' (registered under its name) on %s", greeter.node().name());
      Messenger messenger = supervisor.messenger();
      askGreeter(messenger, "from the observer");

      Singleton b = boss;
      awaitTrue(() -> b.status().join().leaderSince() != null, "the singleton leads");
      SingletonStatus before = b.status().join();
      say(
          "the singleton 'boss' leads on %s (generation %d, the fencing token)",
          before.leader() == null ? "?" : before.leader().name(), before.generation());

      // Act 1, a crash. The victim is the singleton's node, so both failovers show; n3 if it
      // leads elsewhere.
      String ledOn = before.leader() == null ? "" : before.leader().name();
      String gone = NODES.contains(ledOn) ? ledOn : "n3";
      Process victim = java.util.Objects.requireNonNull(processes.get(gone), gone);
      say("killing %s (pid %d) with SIGKILL", gone, victim.pid());
      long t1 = System.nanoTime();
      victim.destroyForcibly();
      victim.waitFor(10, TimeUnit.SECONDS);
      deaths.computeIfAbsent(gone, x -> new ArrayList<>()).add(System.currentTimeMillis());
      awaitTrue(() -> !liveNodes(obs).contains(gone), gone + " unreachable");
      String unreachable = since(t1);
      awaitTrue(() -> isDown(obs, gone), gone + " declared down");
      String down = since(t1);
      awaitTrue(() -> noChildOn(gone), gone + "'s children re-placed");
      String replaced = since(t1);
      awaitAllRunning(obs, running, "all children running again");
      String again = since(t1);
      say(
          "%s unreachable after %s (its connection closed), declared down after %s, its children"
              + " re-placed after %s; all %,d running again on the survivors after %s; spread: %s",
          gone, unreachable, down, replaced, CHILDREN, again, spread(observer, running));
      checkLedgers(logs, deaths);
      if (ledOn.equals(gone)) {
        awaitTrue(() -> leadsOnOtherThan(b, gone), "the singleton leads again");
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
      askGreeter(messenger, "after the kill");

      // Act 2, the same node back under its name: a new incarnation joins.
      long t2 = System.nanoTime();
      processes.put(gone, spawn(gone, ports.get(NODES.indexOf(gone)), seed, logs));
      awaitTrue(() -> liveNodes(obs).contains(gone), gone + " back");
      say("%s restarted under its name and joined as a new incarnation after %s", gone, since(t2));

      // Act 3, a graceful hand-over: SIGTERM to the greeter's node runs its shutdown hook, which
      // stops its supervisor (each child stops before its new placement is written) and leaves.
      String leaving = nodeOf(supervisor, "greeter");
      long handOverAt = System.currentTimeMillis();
      long t3 = System.nanoTime();
      say("stopping %s (the greeter's node) with SIGTERM: a graceful hand-over", leaving);
      Process leaver = java.util.Objects.requireNonNull(processes.get(leaving), leaving);
      leaver.destroy();
      if (!leaver.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("demo: " + leaving + " did not stop within 30 s");
      }
      String exited = since(t3);
      deaths.computeIfAbsent(leaving, x -> new ArrayList<>()).add(System.currentTimeMillis());
      awaitTrue(() -> noChildOn(leaving), leaving + "'s children handed over");
      awaitAllRunning(obs, running, "all children running after it");
      say(
          "%s handed its children over and left in %s; all %,d running again once after %s;"
              + " spread: %s",
          leaving, exited, CHILDREN, since(t3), spread(observer, running));
      say(
          "hand-over gaps (a child's stop on %s to its start elsewhere): %s",
          leaving, gaps(logs, deaths, leaving, handOverAt));
      askGreeter(messenger, "after the hand-over");
      SingletonStatus last = b.status().join();
      say(
          "the singleton leads on %s (generation %d)",
          last.leader() == null ? "?" : last.leader().name(), last.generation());

      checkLedgers(logs, deaths);
      say(
          "none ran twice: the children's and the singleton's own start/stop ledgers show no"
              + " overlapping copies through the kill, the restart and the hand-over");
      say("demo finished in %s", since(t00));
      ok = true;
    } finally {
      if (boss != null) {
        boss.close();
      }
      if (observerApp != null) {
        observerApp.close();
      }
      for (Process p : processes.values()) {
        p.destroy();
      }
      for (Process p : processes.values()) {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      if (ok && configured == null) {
        clean(logs);
        Files.deleteIfExists(logs);
        say("stopped all nodes; removed %s", logs);
      } else {
        say("stopped all nodes; their logs and ledgers are in %s", logs);
      }
    }
  }

  /** Asks the greeter by its name from the observer and says what it answered. */
  private static void askGreeter(Messenger messenger, String when) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    int tries = 0;
    while (true) {
      tries++;
      long t = System.nanoTime();
      try {
        String answer =
            messenger
                .askNamed("greeter", "hello " + when, String.class, Duration.ofSeconds(2))
                .join();
        say(
            "asked 'greeter' by name %s: \"%s\" (round trip %.2f ms%s)",
            when,
            answer,
            (System.nanoTime() - t) / 1e6,
            tries == 1 ? "" : ", after " + (tries - 1) + " refused tries while its name spread");
        return;
      } catch (java.util.concurrent.CompletionException e) {
        if (!(e.getCause() instanceof MessageException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  /** Fails the demo if two copies of one child ran at once, by the ledgers. */
  private static void checkLedgers(Path logs, Map<String, List<Long>> deaths) throws IOException {
    List<String> twice = ledger(logs, deaths).overlaps();
    if (!twice.isEmpty()) {
      say("%d children ran twice at once (from the ledgers): %s", twice.size(), twice);
      throw new IllegalStateException("children ran twice");
    }
  }

  /** Stop-to-start gaps of the copies {@code node} stopped after {@code since}: count, p50, max. */
  private static String gaps(Path logs, Map<String, List<Long>> deaths, String node, long since)
      throws IOException {
    List<Long> gaps = new ArrayList<>();
    for (List<Ledger.Copy> copies : ledger(logs, deaths).copies().values()) {
      for (Ledger.Copy c : copies) {
        if (!c.node().equals(node) || c.to() < since) {
          continue;
        }
        copies.stream()
            .filter(n -> n.generation() > c.generation() && n.from() >= c.to())
            .mapToLong(Ledger.Copy::from)
            .min()
            .ifPresent(next -> gaps.add(next - c.to()));
      }
    }
    if (gaps.isEmpty()) {
      return "none moved";
    }
    gaps.sort(null);
    return String.format(
        Locale.ROOT,
        "%d children, p50 %d ms, max %d ms",
        gaps.size(),
        gaps.get(gaps.size() / 2),
        gaps.get(gaps.size() - 1));
  }

  private static Ledger ledger(Path logs, Map<String, List<Long>> deaths) throws IOException {
    Ledger ledger = new Ledger();
    long now = System.currentTimeMillis();
    for (String name : NODES) {
      Path file = logs.resolve(name + ".ledger");
      if (Files.exists(file)) {
        ledger.add(Files.readString(file), deaths.getOrDefault(name, List.of()), now);
      }
    }
    return ledger;
  }

  private static boolean noChildOn(String node) {
    return requireSupervisor().whichChildren().join().stream()
        .noneMatch(r -> r.node().name().equals(node));
  }

  private static String nodeOf(DistributedSupervisor supervisor, String id) {
    return supervisor.whichChildren().join().stream()
        .filter(r -> r.id().equals(id))
        .map(r -> r.node().name())
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("demo: no child " + id));
  }

  private static boolean leadsOnOtherThan(Singleton b, String node) {
    SingletonStatus st = b.status().join();
    return st.leader() != null && !st.leader().name().equals(node) && st.leaderSince() != null;
  }

  /** Removes the files of {@code dir} (the demo's own: logs and ledgers). */
  private static void clean(Path dir) throws IOException {
    Files.createDirectories(dir);
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  private static Process spawn(String name, int port, List<String> seeds, Path logs)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            NodeApp.class.getName(),
            name,
            String.valueOf(port)));
    command.addAll(seeds);
    ProcessBuilder pb = new ProcessBuilder(command);
    File log = logs.resolve(name + ".log").toFile();
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log));
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

  /** The workers running on live nodes if no child runs twice, else -1. */
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
    return (int) seen.stream().filter(id -> id.startsWith("worker-")).count();
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

  /**
   * Waits until every child runs exactly once on the live nodes; a failure says what the observer
   * saw last (a child on two live nodes, or how many ran, and where), to tell a stale published
   * list from a missing child.
   */
  private static void awaitAllRunning(Cluster obs, Scope<String, String> running, String what)
      throws InterruptedException {
    try {
      awaitTrue(() -> runningOnce(obs, running) == CHILDREN, what);
    } catch (IllegalStateException e) {
      int seen = runningOnce(obs, running);
      throw new IllegalStateException(
          e.getMessage()
              + " (last seen: "
              + (seen < 0 ? "a child on two live nodes" : seen + " children")
              + ", live nodes "
              + liveNodes(obs)
              + ", spread "
              + spread(obs, running)
              + ")",
          e);
    }
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
