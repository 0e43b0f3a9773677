package io.flock.cluster.containers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * Flock nodes as separate JVMs in containers built from scratch (a jlink runtime, the glibc files
 * it loads, the node jar), on two networks of the test's own: {@code control} carries the HTTP port
 * the test talks to, {@code cluster} the Flock traffic, so a partition (disconnecting a node from
 * {@code cluster}) leaves it observable. Closing removes every container and network.
 */
final class ContainerCluster implements AutoCloseable {
  private static final String[] LIBS = {
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/libm.so.6",
    "/lib/x86_64-linux-gnu/libpthread.so.0",
    "/lib/x86_64-linux-gnu/librt.so.1",
    "/lib/x86_64-linux-gnu/libz.so.1",
    "/lib/x86_64-linux-gnu/libgcc_s.so.1",
    "/lib64/ld-linux-x86-64.so.2"
  };
  private static @Nullable String image;

  private final Network control = Network.newNetwork();
  private final Network cluster = Network.newNetwork();
  private final Map<String, GenericContainer<?>> nodes = new LinkedHashMap<>();
  private final Map<String, GenericContainer<?>> retired = new LinkedHashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<String, String> controlAddresses =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final boolean quorum;
  private final String seeds;
  private final Map<String, String> env;

  private ContainerCluster(boolean quorum, String seeds, Map<String, String> env) {
    this.quorum = quorum;
    this.seeds = seeds;
    this.env = Map.copyOf(env);
  }

  /** Skips (for a user) or fails (in CI) when no Docker engine answers. */
  static void requireDocker() {
    boolean available;
    try {
      available = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      available = false;
    }
    if (!available) {
      if (System.getenv("CI") != null) {
        Assertions.fail("the container tests need a Docker engine, and CI must provide one");
      }
      Assumptions.abort(
          "no Docker engine: container tests skipped (apt-get install docker.io; start dockerd)");
    }
  }

  /** Builds the node image once per JVM. */
  static synchronized String image() throws Exception {
    if (image != null) {
      return image;
    }
    Path dir = Path.of(System.getProperty("flock.imageDir", "target/node-image"));
    Path jar = Path.of(System.getProperty("flock.nodeJar", "target/flock-test-cluster.jar"));
    Files.createDirectories(dir);
    Path jre = dir.resolve("jre");
    if (!Files.exists(jre.resolve("bin/java"))) {
      String jlink = Path.of(System.getProperty("java.home"), "bin", "jlink").toString();
      Process p =
          new ProcessBuilder(
                  jlink,
                  "--add-modules",
                  "java.base,java.logging,java.management,jdk.unsupported,java.naming,"
                      + "jdk.management,jdk.httpserver,java.net.http,jdk.crypto.ec,java.xml",
                  "--strip-debug",
                  "--no-header-files",
                  "--no-man-pages",
                  "--output",
                  jre.toString())
              .inheritIO()
              .start();
      if (p.waitFor() != 0) {
        throw new IOException("jlink failed");
      }
    }
    for (String lib : LIBS) {
      Path from = Path.of(lib);
      if (Files.exists(from)) {
        Path to = dir.resolve(lib.substring(1));
        Files.createDirectories(to.getParent());
        Files.copy(from.toRealPath(), to, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.copy(jar, dir.resolve("app.jar"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(
        dir.resolve("Dockerfile"),
        """
        FROM scratch
        COPY . /
        ENTRYPOINT ["/jre/bin/java", "-Xmx160m", "-XX:+UseSerialGC", "-XX:-UsePerfData", \
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", \
        "-cp", "/app.jar", "io.flock.cluster.NodeApp"]
        """);
    image = new ImageFromDockerfile("flock-node-test", false).withFileFromPath(".", dir).get();
    return image;
  }

  /**
   * Starts nodes n1..n{count}, one at a time, each with every node as a seed (as a deployment names
   * its members): a node asks for names that do not exist yet, and a restarted node finds the
   * others.
   */
  static ContainerCluster start(int count, boolean quorum) throws Exception {
    return start(count, quorum, Map.of());
  }

  /** As {@link #start(int, boolean)}, with extra environment variables on every node. */
  static ContainerCluster start(int count, boolean quorum, Map<String, String> env)
      throws Exception {
    List<String> seeds = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      seeds.add("n" + i + ":7000");
    }
    ContainerCluster c = new ContainerCluster(quorum, String.join(",", seeds), env);
    try {
      for (int i = 1; i <= count; i++) {
        c.startNode("n" + i);
      }
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
    return c;
  }

  void startNode(String name) throws Exception {
    GenericContainer<?> node =
        new GenericContainer<>(DockerImageName.parse(image()))
            .withNetwork(control)
            .withEnv("FLOCK_NODE", name)
            .withEnv("FLOCK_PORT", "7000")
            .withEnv("FLOCK_HTTP_PORT", "8080")
            .withEnv("FLOCK_ADVERTISE", name)
            .withEnv("FLOCK_SEEDS", seeds)
            .withEnv("FLOCK_LEDGER", "/ledger.log")
            .withEnv("FLOCK_STRATEGY", quorum ? "quorum" : "uniform")
            .withEnv(env)
            .waitingFor(
                Wait.forLogMessage(".*started as .*", 1)
                    .withStartupTimeout(Duration.ofSeconds(60)));
    nodes.put(name, node);
    node.start();
    connect(name);
  }

  private DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  /**
   * The alias every node also has on the cluster network: like a Kubernetes headless service, the
   * name resolves to every node attached (the DNS seeds of {@code DnsSeedsIT}).
   */
  static final String SERVICE = "flock";

  /** Attaches a node to the cluster network under its name and {@link #SERVICE}. */
  void connect(String name) {
    docker()
        .connectToNetworkCmd()
        .withNetworkId(cluster.getId())
        .withContainerId(node(name).getContainerId())
        .withContainerNetwork(new ContainerNetwork().withAliases(name, SERVICE))
        .exec();
  }

  /** Cuts a node off the cluster network (a silent partition: nothing is closed cleanly). */
  void disconnect(String name) {
    docker()
        .disconnectFromNetworkCmd()
        .withNetworkId(cluster.getId())
        .withContainerId(node(name).getContainerId())
        .withForce(true)
        .exec();
  }

  /**
   * Waits until {@code via} sees all nodes up, starts {@code count} children {@code prefix0..}
   * through it, and waits until each runs exactly once.
   *
   * @return the children's ids
   */
  java.util.Set<String> startChildren(String via, String prefix, int count) throws Exception {
    return startChildren(via, prefix, count, "");
  }

  /** As above, with extra query parameters for the children ({@code &stopMillis=3000}). */
  java.util.Set<String> startChildren(String via, String prefix, int count, String extra)
      throws Exception {
    Duration wait = Duration.ofSeconds(90);
    await(wait, () -> SigkillIT.upMembers(this, via) == nodes.size(), "all members up");
    String answer = post(via, "/children?count=" + count + "&prefix=" + prefix + extra);
    if (!answer.startsWith("started " + count)) {
      throw new AssertionError("could not start the children: " + answer);
    }
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < count; i++) {
      ids.add(prefix + i);
    }
    awaitRunningOnce(wait, ids, count + " children run once");
    return ids;
  }

  /**
   * Waits until each of {@code ids} runs exactly once over the live nodes; a timeout says which
   * children were missing and which ran more than once, and where.
   */
  void awaitRunningOnce(Duration wait, java.util.Set<String> ids, String what) {
    await(
        wait,
        () -> SigkillIT.runningOnce(this, names(), ids),
        what,
        () -> SigkillIT.notRunningOnce(this, names(), ids));
  }

  /** Freezes every process of the node ({@code docker pause}). */
  void pause(String name) {
    docker().pauseContainerCmd(node(name).getContainerId()).exec();
  }

  /** Thaws a paused node. */
  void unpause(String name) {
    docker().unpauseContainerCmd(node(name).getContainerId()).exec();
  }

  /**
   * Restarts a node as a deploy does: SIGTERM (the node hands its children over and leaves), wait
   * for the JVM to exit, start the same container again (its ledger file survives), and wait until
   * it answers HTTP.
   *
   * @return when the JVM had exited, in epoch millis
   */
  long restart(String name, Duration wait) {
    String id = node(name).getContainerId();
    docker().stopContainerCmd(id).withTimeout((int) wait.toSeconds()).exec();
    long stoppedAt = System.currentTimeMillis();
    startAgain(name, wait);
    return stoppedAt;
  }

  /** Starts a stopped or killed node's container again and waits until it answers HTTP. */
  void startAgain(String name, Duration wait) {
    controlAddresses.remove(name); // the address may change
    docker().startContainerCmd(node(name).getContainerId()).exec();
    await(
        wait,
        () -> {
          try {
            return get(name, "/status").startsWith("node ");
          } catch (Exception notYet) {
            return false;
          }
        },
        name + " answers after its restart");
  }

  /**
   * Scales a node away as an autoscaler does: SIGTERM (it hands its children over and leaves),
   * waits for the JVM to exit, and retires it: it is no longer one of {@link #names}, its ledger
   * stays readable ({@link #ledger}).
   */
  void retire(String name, Duration wait) {
    docker()
        .stopContainerCmd(node(name).getContainerId())
        .withTimeout((int) wait.toSeconds())
        .exec();
    retired.put(name, nodes.remove(name));
    controlAddresses.remove(name);
  }

  /**
   * A node killed for good (never started again): it is no longer one of {@link #names}, its ledger
   * stays readable from its file ({@link #ledger}).
   */
  void forget(String name) {
    retired.put(name, nodes.remove(name));
    controlAddresses.remove(name);
  }

  /** A node's ledger: over HTTP while it runs, from its file once it was retired. */
  String ledger(String name) throws IOException, InterruptedException {
    GenericContainer<?> gone = retired.get(name);
    if (gone == null) {
      return get(name, "/ledger");
    }
    return gone.copyFileFromContainer(
        "/ledger.log",
        in -> new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** A node's output so far, running or retired (all its runs, when it was restarted). */
  String logs(String name) {
    GenericContainer<?> n = nodes.containsKey(name) ? nodes.get(name) : retired.get(name);
    if (n == null) {
      throw new IllegalArgumentException("no node " + name);
    }
    return n.getLogs();
  }

  /** Every node started, running or retired. */
  List<String> everyName() {
    List<String> all = new ArrayList<>(retired.keySet());
    all.addAll(nodes.keySet());
    return all;
  }

  /**
   * A one-way cut: drops every packet arriving at the node's Flock port (7000), inside the node's
   * own network namespace (the host's {@code iptables} through {@code nsenter}), so the others can
   * no longer reach it while its own outgoing connections (from ephemeral ports) still work. The
   * rule lives in the container's namespace and goes with it; {@link #unblockInbound} removes it
   * earlier.
   */
  void blockInbound(String name) throws Exception {
    iptablesIn(name, "-I");
  }

  /** Removes the rule of {@link #blockInbound}. */
  void unblockInbound(String name) throws Exception {
    iptablesIn(name, "-D");
  }

  private void iptablesIn(String name, String op) throws Exception {
    Long pid =
        docker().inspectContainerCmd(node(name).getContainerId()).exec().getState().getPidLong();
    if (pid == null || pid <= 0) {
      throw new IllegalStateException(name + " has no process");
    }
    Process p =
        new ProcessBuilder(
                "nsenter",
                "-t",
                String.valueOf(pid),
                "-n",
                "iptables",
                op,
                "INPUT",
                "-p",
                "tcp",
                "--dport",
                "7000",
                "-j",
                "DROP")
            .redirectErrorStream(true)
            .start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("iptables " + op + " in " + name + " failed: " + out);
    }
  }

  /** SIGKILL. */
  void kill(String name) {
    docker().killContainerCmd(node(name).getContainerId()).withSignal("KILL").exec();
  }

  GenericContainer<?> node(String name) {
    GenericContainer<?> n = nodes.get(name);
    if (n == null) {
      throw new IllegalArgumentException("no node " + name);
    }
    return n;
  }

  List<String> names() {
    return new ArrayList<>(nodes.keySet());
  }

  String get(String name, String path) throws IOException, InterruptedException {
    return send(
        name, HttpRequest.newBuilder(uri(name, path)).timeout(Duration.ofSeconds(3)).GET().build());
  }

  String post(String name, String path) throws IOException, InterruptedException {
    return send(
        name,
        HttpRequest.newBuilder(uri(name, path))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build());
  }

  private String send(String name, HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(name + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  /**
   * The node's HTTP address on the control network. Not a mapped port: once a container joins a
   * second network, Docker may route its replies to mapped connections out of the other one (the
   * tests saw about one run in three lose every mapped port).
   */
  private URI uri(String name, String path) {
    String ip = controlAddresses.computeIfAbsent(name, this::controlAddress);
    return URI.create("http://" + ip + ":8080" + path);
  }

  private String controlAddress(String name) {
    var networks =
        docker()
            .inspectContainerCmd(node(name).getContainerId())
            .exec()
            .getNetworkSettings()
            .getNetworks();
    for (ContainerNetwork n : networks.values()) {
      if (control.getId().equals(n.getNetworkID())) {
        return java.util.Objects.requireNonNull(n.getIpAddress(), "control address of " + name);
      }
    }
    throw new IllegalStateException(name + " is not on the control network");
  }

  /** Waits for {@code condition}, polling every 200 ms (each check makes HTTP calls). */
  static void await(Duration timeout, BooleanSupplier condition, String what) {
    io.flock.testkit.TestCluster.await(timeout, Duration.ofMillis(200), condition, what);
  }

  /** As above; on a timeout the failure also says {@code why} (what the nodes show then). */
  static void await(
      Duration timeout,
      BooleanSupplier condition,
      String what,
      java.util.function.Supplier<String> why) {
    try {
      await(timeout, condition, what);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + why.get(), e);
    }
  }

  /** Prints the last lines of every node's output and its member view (on failure). */
  void dumpLogs() {
    for (String name : nodes.keySet()) {
      try {
        System.err.println("---- members seen by " + name + ":\n" + get(name, "/members"));
      } catch (Exception e) {
        System.err.println("---- members seen by " + name + ": " + e);
      }
    }
    nodes.forEach(
        (name, n) -> {
          try {
            List<String> lines = n.getLogs().lines().toList();
            System.err.println("---- " + name + " (last 150 lines)");
            lines
                .subList(Math.max(0, lines.size() - 150), lines.size())
                .forEach(System.err::println);
          } catch (RuntimeException e) {
            System.err.println("---- " + name + ": no logs (" + e + ")");
          }
        });
  }

  /** Runs {@code body}, printing every node's output if it fails. */
  void run(ThrowingRunnable body) throws Exception {
    try {
      body.run();
    } catch (Exception | AssertionError e) {
      dumpLogs();
      throw e;
    }
  }

  /** A test body. */
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Override
  public void close() {
    List<GenericContainer<?>> all = new ArrayList<>(nodes.values());
    all.addAll(retired.values());
    for (GenericContainer<?> n : all) {
      try {
        n.stop();
      } catch (RuntimeException e) {
        // already gone
      }
    }
    cluster.close();
    control.close();
  }
}
