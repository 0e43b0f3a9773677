package io.flock.cluster;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpServer;
import io.flock.membership.Cluster;
import io.flock.membership.ClusterBuilder;
import io.flock.membership.Scope;
import io.flock.membership.SeedResolver;
import io.flock.membership.storage.Storage;
import io.flock.registry.Registry;
import io.flock.registry.RegistryEvent;
import io.flock.singleton.Singleton;
import io.flock.supervisor.Checkpoint;
import io.flock.supervisor.ChildContext;
import io.flock.supervisor.ChildInfo;
import io.flock.supervisor.ChildState;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.supervisor.Envelope;
import io.flock.supervisor.SupervisorException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A runnable Flock node: a cluster member with a distributed supervisor named {@code app} whose
 * {@code worker} children run until stopped and write every start and stop, with node and
 * generation, to this node's ledger, and {@code echo} children that answer each ask with where it
 * arrived (node, generation, count). It publishes its running children to the {@code demo.running}
 * scope, and optionally serves a small HTTP control and observation surface, as the container tests
 * need:
 *
 * <pre>
 *  POST /children?count=N&amp;prefix=P   start N children P0..P(N-1) somewhere in the cluster;
 *       [&amp;effectEvery=MS]            each writes an "effect" line every MS while current
 *       [&amp;stopMillis=MS]             each takes MS to stop, ignoring interrupts
 *       [&amp;sleepMillis=MS]            each wakes every MS (default 1000) to look for its stop
 *       [&amp;saveEvery=MS]              each resumes from its checkpoint and saves the next
 *                                       position every MS (ledger: resume / saved ... P)
 *  GET  /children                       every child: id node generation (replicated view)
 *  GET  /local                          children running here: id generation
 *  GET  /members                        name status reachable
 *  GET  /status                         quorum and the node's identity
 *  GET  /singleton                      leader generation local-activity (FLOCK_SINGLETON=true)
 *  GET  /ledger?from=K                  this node's ledger lines from line K:
 *                                       epochMillis start|stop|effect id node generation
 * </pre>
 *
 * Settings come from {@link Settings#fromEnvironment} ({@code FLOCK_NODE}, {@code FLOCK_PORT},
 * {@code FLOCK_SEEDS} or {@code FLOCK_SEEDS_DNS} ({@code name:port}), {@code FLOCK_ADVERTISE},
 * {@code FLOCK_HTTP_PORT}, {@code FLOCK_STRATEGY}, {@code FLOCK_SECRET}, {@code FLOCK_LEDGER}) or
 * from arguments ({@code NAME PORT [SEED_HOST:PORT...]}). With {@code FLOCK_LEDGER} the ledger is
 * also appended to that file and read back on start, so it outlives a restart of the node (a
 * rolling deploy keeps its evidence). {@code FLOCK_SINGLETON=true} also runs the singleton {@code
 * boss}, whose leader writes its terms to the same ledger ({@link LedgerLeader}). {@code
 * FLOCK_PUBLISH_RUNNING=false} turns off the 100 ms sweep that publishes the running children (for
 * measuring Flock's own idle cost). {@code FLOCK_STORAGE=DIR} keeps the supervisor durable in that
 * directory (placements and checkpoints survive a restart of the whole cluster).
 */
public final class NodeApp implements AutoCloseable {
  static final String RUNNING = "demo.running";
  private static final byte[] DEFAULT_SECRET =
      "flock demo cluster secret".getBytes(StandardCharsets.UTF_8);

  /**
   * A node's settings.
   *
   * @param name node name
   * @param bindHost address to listen on
   * @param port cluster port (0: ephemeral)
   * @param advertise host others dial
   * @param seeds seed {@code host:port}s
   * @param httpPort HTTP port (-1: no HTTP, 0: ephemeral)
   * @param quorum whether to use the quorum strategy
   * @param secret the cluster secret
   * @param ledgerFile a file the ledger is appended to and read back from on start, or null
   * @param seedsDns {@code name:port}: the seeds are every address the name resolves to (a headless
   *     service; {@code FLOCK_SEEDS_DNS}), instead of {@code seeds}; or null
   */
  @SuppressWarnings("ArrayRecordComponent") // copied in and out, never compared
  public record Settings(
      String name,
      String bindHost,
      int port,
      String advertise,
      List<String> seeds,
      int httpPort,
      boolean quorum,
      byte[] secret,
      @Nullable Path ledgerFile,
      @Nullable String seedsDns) {

    /** Validates. */
    public Settings {
      requireNonNull(name, "name");
      requireNonNull(bindHost, "bindHost");
      requireNonNull(advertise, "advertise");
      seeds = List.copyOf(seeds);
      secret = secret.clone();
    }

    @Override
    public byte[] secret() {
      return secret.clone();
    }

    /** Settings from {@code FLOCK_*} environment variables (see the class comment). */
    public static Settings fromEnvironment(Function<String, @Nullable String> env) {
      String name = require(env, "FLOCK_NODE");
      String seeds = env.apply("FLOCK_SEEDS");
      String secret = env.apply("FLOCK_SECRET");
      String advertise = env.apply("FLOCK_ADVERTISE");
      String ledger = env.apply("FLOCK_LEDGER");
      String dns = env.apply("FLOCK_SEEDS_DNS");
      return new Settings(
          name,
          "0.0.0.0",
          Integer.parseInt(or(env.apply("FLOCK_PORT"), "7000")),
          advertise != null ? advertise : name,
          seeds == null || seeds.isBlank() ? List.of() : List.of(seeds.split(",", -1)),
          Integer.parseInt(or(env.apply("FLOCK_HTTP_PORT"), "8080")),
          "quorum".equals(env.apply("FLOCK_STRATEGY")),
          secret != null ? secret.getBytes(StandardCharsets.UTF_8) : DEFAULT_SECRET,
          ledger == null || ledger.isBlank() ? null : Path.of(ledger),
          dns == null || dns.isBlank() ? null : dns);
    }

    /** The same settings with the ledger appended to {@code file} (or none). */
    public Settings withLedger(@Nullable Path file) {
      return new Settings(
          name, bindHost, port, advertise, seeds, httpPort, quorum, secret, file, seedsDns);
    }

    /** Settings for a loopback node: {@code NAME PORT [SEED...]}, no HTTP. */
    public static Settings loopback(String name, int port, List<String> seeds, int httpPort) {
      return new Settings(
          name, "127.0.0.1", port, "127.0.0.1", seeds, httpPort, false, DEFAULT_SECRET, null, null);
    }

    private static String require(Function<String, @Nullable String> env, String key) {
      String v = env.apply(key);
      if (v == null || v.isBlank()) {
        throw new IllegalArgumentException(key + " is required");
      }
      return v;
    }

    private static String or(@Nullable String v, String fallback) {
      return v == null || v.isBlank() ? fallback : v;
    }
  }

  private final Cluster cluster;
  private final DistributedSupervisor supervisor;
  private final Registry registry;
  private final @Nullable Singleton singleton;
  private final List<String> nameConflicts = new CopyOnWriteArrayList<>();
  private final LedgerFile ledger;
  private final @Nullable HttpServer http;
  private final Thread publisher;

  private NodeApp(Settings s) throws IOException {
    this.ledger = new LedgerFile(s.ledgerFile());
    String dns = s.seedsDns();
    SeedResolver seeds;
    if (dns != null) {
      int colon = dns.lastIndexOf(':');
      seeds = SeedResolver.dns(dns.substring(0, colon), Integer.parseInt(dns.substring(colon + 1)));
    } else {
      seeds = SeedResolver.of(s.seeds());
    }
    String storage = System.getenv("FLOCK_STORAGE");
    boolean durable = storage != null && !storage.isBlank();
    ClusterBuilder builder = Cluster.builder("flock-demo", s.name());
    if (durable) {
      builder.storage(Storage.files(Path.of(storage)));
    }
    this.cluster =
        builder
            .secret(s.secret())
            .bind(s.bindHost(), s.port())
            .advertise(s.advertise())
            .seeds(seeds)
            .wireTypes(DistributedSupervisor.wireTypes())
            .wireTypes(Registry.wireTypes())
            .wireTypes(Singleton.wireTypes())
            .start();
    this.registry =
        Registry.builder("names", cluster)
            .listener(
                e -> {
                  if (e instanceof RegistryEvent.ConflictLost lost) {
                    nameConflicts.add(lost.loser().name() + " " + lost.loser().ref().id());
                  }
                })
            .start();
    DistributedSupervisor.Builder app = DistributedSupervisor.builder("app", cluster);
    if (durable) {
      app.durable();
    }
    this.supervisor =
        app.strategy(
                s.quorum() ? DistributionStrategy.uniformQuorum() : DistributionStrategy.uniform())
            .names(registry)
            .factory(
                "worker",
                spec ->
                    ctx -> {
                      long saveEvery = arg(ctx.args(), "saveEvery");
                      if (saveEvery > 0) {
                        saver(ctx, saveEvery);
                        return;
                      }
                      long effectEvery = arg(ctx.args(), "effectEvery");
                      long stopMillis = arg(ctx.args(), "stopMillis");
                      long sleepMillis = arg(ctx.args(), "sleepMillis");
                      record(ctx.id(), "start", ctx.generation());
                      try {
                        while (!ctx.stopRequested()) {
                          if (effectEvery > 0) {
                            effect(ctx);
                          }
                          Thread.sleep(
                              effectEvery > 0
                                  ? effectEvery
                                  : sleepMillis > 0 ? sleepMillis : 1_000);
                        }
                      } finally {
                        linger(stopMillis);
                        record(ctx.id(), "stop", ctx.generation());
                      }
                    })
            .factory("echo", spec -> this::echo)
            .start();
    this.singleton =
        "true".equals(System.getenv("FLOCK_SINGLETON"))
            ? Singleton.builder("boss", cluster)
                .leader(() -> new LedgerLeader(this::record))
                .startDelay(Duration.ofSeconds(1))
                .start()
            : null;
    this.http = s.httpPort() >= 0 ? NodeHttp.start(this, s.bindHost(), s.httpPort()) : null;
    this.publisher = Thread.ofVirtual().name("flock-publish").start(this::publishRunning);
  }

  /** Starts a node. */
  public static NodeApp start(Settings settings) throws IOException {
    return new NodeApp(requireNonNull(settings, "settings"));
  }

  /** The cluster node. */
  public Cluster cluster() {
    return cluster;
  }

  /** The supervisor. */
  public DistributedSupervisor supervisor() {
    return supervisor;
  }

  /** The registry of names. */
  Registry registry() {
    return registry;
  }

  /** The singleton, or null when this node runs none. */
  @Nullable Singleton singleton() {
    return singleton;
  }

  /** The name conflicts this node's children lost: "name id" lines. */
  List<String> nameConflicts() {
    return nameConflicts;
  }

  /** This node's ledger. */
  LedgerFile ledger() {
    return ledger;
  }

  /** The HTTP port, or -1. */
  public int httpPort() {
    HttpServer h = http;
    return h == null ? -1 : h.getAddress().getPort();
  }

  /**
   * The {@code echo} child: answers every ask with {@code "NODE generation G, ask number N of this
   * copy"}, so a caller sees where its message arrived. Its starts and stops go to the ledger.
   */
  private void echo(ChildContext ctx) throws InterruptedException {
    record(ctx.id(), "start", ctx.generation());
    try {
      long asked = 0;
      while (!ctx.stopRequested()) {
        Envelope e = ctx.receive(Duration.ofSeconds(1));
        if (e != null && e.expectsReply()) {
          asked++;
          e.reply(
              cluster.self().name()
                  + " generation "
                  + ctx.generation()
                  + ", ask number "
                  + asked
                  + " of this copy");
        }
      }
    } finally {
      record(ctx.id(), "stop", ctx.generation());
    }
  }

  /**
   * A {@code worker} with {@code saveEvery}: resumes from its checkpoint (a position, 0 at first;
   * ledger {@code resume ... P}), then every {@code saveEvery} ms saves the next position and, once
   * the save is acknowledged, writes {@code saved ... P} to the ledger. A refused save ends the
   * copy (it is stale).
   */
  private void saver(ChildContext ctx, long saveEvery) throws Exception {
    record(ctx.id(), "start", ctx.generation());
    try {
      Checkpoint last = ctx.load();
      long position = last == null ? 0 : ByteBuffer.wrap(last.state()).getLong();
      record(ctx.id(), "resume", ctx.generation(), " " + position);
      while (!ctx.stopRequested()) {
        Thread.sleep(saveEvery);
        position++;
        ctx.save(ByteBuffer.allocate(8).putLong(position).array()).get();
        record(ctx.id(), "saved", ctx.generation(), " " + position);
      }
    } catch (InterruptedException stop) {
      // stopping
    } finally {
      record(ctx.id(), "stop", ctx.generation());
    }
  }

  /** A numeric child argument, 0 if absent. */
  private static long arg(Map<String, String> args, String name) {
    return Long.parseLong(args.getOrDefault(name, "0"));
  }

  /** An external effect, made only while this copy is current (as a child should guard one). */
  private void effect(ChildContext ctx) {
    try {
      ctx.ensureCurrent();
    } catch (SupervisorException fenced) {
      return;
    }
    record(ctx.id(), "effect", ctx.generation());
  }

  /** A child slow to stop: it goes on for {@code millis} after being asked, interrupts or not. */
  private static void linger(long millis) {
    long until = System.nanoTime() + millis * 1_000_000;
    boolean interrupted = false;
    while (System.nanoTime() - until < 0) {
      try {
        Thread.sleep(Math.max(1, (until - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void record(String id, String event, long generation) {
    record(id, event, generation, "");
  }

  private void record(String id, String event, long generation, String extra) {
    ledger.record(
        System.currentTimeMillis()
            + " "
            + event
            + " "
            + id
            + " "
            + cluster.self().name()
            + " "
            + generation
            + extra);
  }

  private void publishRunning() {
    Scope<String, String> running = cluster.scope(RUNNING);
    String last = "";
    if ("false".equals(System.getenv("FLOCK_PUBLISH_RUNNING"))) {
      return; // a benchmark of idle cost: this harness's own sweep is not Flock's
    }
    while (!cluster.isClosed()) {
      try {
        String ids =
            supervisor.localChildren().join().stream()
                .filter(c -> c.state() == ChildState.RUNNING)
                .map(ChildInfo::id)
                .sorted()
                .collect(Collectors.joining(","));
        if (!ids.equals(last)) {
          running.put(cluster.self().name(), ids).join();
          last = ids;
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException stopping) {
        return;
      }
    }
  }

  /** Stops at once (to the others, a crash). */
  @Override
  public void close() {
    publisher.interrupt();
    HttpServer h = http;
    if (h != null) {
      h.stop(0);
    }
    Singleton s = singleton;
    if (s != null) {
      s.close();
    }
    supervisor.close();
    registry.close();
    cluster.close();
    ledger.close();
  }

  /** Gracefully: hands children over, leaves, stops. */
  public void shutdown(Duration timeout) {
    try {
      supervisor.stop(timeout).join();
      cluster.leave(timeout).join();
    } finally {
      close();
    }
  }

  /** Runs a node from arguments ({@code NAME PORT [SEED...]}) or the environment. */
  private static @Nullable Path ledgerFromEnvironment() {
    String file = System.getenv("FLOCK_LEDGER");
    return file == null || file.isBlank() ? null : Path.of(file);
  }

  public static void main(String[] args) throws Exception {
    Settings settings =
        args.length >= 2
            ? Settings.loopback(
                    args[0], Integer.parseInt(args[1]), List.of(args).subList(2, args.length), -1)
                .withLedger(ledgerFromEnvironment())
            : Settings.fromEnvironment(System::getenv);
    NodeApp app = start(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> app.shutdown(Duration.ofSeconds(5))));
    Thread.currentThread().join(); // until the JVM is stopped
  }
}
