package io.flock.console;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.flock.groups.ProcessGroups;
import io.flock.membership.Cluster;
import io.flock.registry.Registry;
import io.flock.singleton.Singleton;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.SupervisorListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's operators' endpoints on their own port, over the JDK's HTTP server (read-only; nothing
 * here changes the cluster):
 *
 * <ul>
 *   <li>{@code GET /health/live}: 200 while the node's core thread runs (a liveness probe), else
 *       503 with the reason;
 *   <li>{@code GET /health/ready}: 200 once the node is joined, holds its lease and its scopes
 *       caught up with a peer (a readiness probe), else 503 with the reasons, one per line;
 *   <li>{@code GET /metrics}: the scrape given to {@link Builder#metrics}, e.g. a Micrometer {@code
 *       PrometheusMeterRegistry}'s {@code scrape} bound to {@link Cluster#metrics()} and the
 *       supervisors' meters (404 when none was given);
 *   <li>{@code GET /}: the live cluster page (no external assets, no build step): members with
 *       incarnation and status as every node sees them (a matrix), quorum and lease, each scope's
 *       replication state, the children per node with their generation, a red banner when one child
 *       is in the own reports of two nodes, the moves and failovers this node heard, and (when
 *       given) registries' names and lost conflicts, process groups and singletons' leaders; {@code
 *       GET /api/cluster} is its JSON, {@code GET /api/events} the same once a second as
 *       server-sent events (at most {@value #MAX_STREAMS} open at once). Every node with a console
 *       publishes its own report in the replicated scope {@code console.reports}: run a console on
 *       every node for the matrix to be whole.
 * </ul>
 *
 * <p>There are no actions (leave, down): the console only reads.
 *
 * <pre>{@code
 * PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * cluster.metrics().bindTo(prometheus);
 * Console console = Console.builder(cluster).host("0.0.0.0").port(8558)
 *     .metrics(prometheus::scrape).start();
 * }</pre>
 *
 * <p>Threading: the builder on one thread; {@link #close} from any. Requests are served on the
 * console's own small pool, and the report is written by its own thread, never the cluster's.
 */
public final class Console implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Console.class);

  /** The most live pages (event streams) served at once; each holds a thread. */
  static final int MAX_STREAMS = 4;

  private final HttpServer server;
  private final ExecutorService pool;
  private final ScheduledExecutorService reporter;
  private final Health health;
  private final @Nullable Supplier<String> metrics;
  private final Map<String, DistributedSupervisor> supervisors;
  private final Timeline timeline = new Timeline();
  private final Map<String, SupervisorListener> listeners = new LinkedHashMap<>();
  private final NodeReport report;
  private final ClusterView view;
  private final Semaphore streams = new Semaphore(MAX_STREAMS);
  private static final String INITIAL = "/*FLOCK_INITIAL*/null";
  private final String page;
  private volatile boolean closed;

  private Console(Builder b) throws IOException {
    this.health = new Health(b.cluster, b.timeout);
    this.metrics = b.metrics;
    this.supervisors = Map.copyOf(b.supervisors);
    this.report = new NodeReport(b.cluster, supervisors);
    this.view = new ClusterView(b.cluster, supervisors, report.scope(), timeline, b.services);
    try (InputStream in = Console.class.getResourceAsStream("page.html")) {
      if (in == null) {
        throw new IOException("page.html is missing from the console's jar");
      }
      this.page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String node = b.cluster.self().name();
    this.server = HttpServer.create(new InetSocketAddress(b.host, b.port), 32);
    this.pool = Executors.newFixedThreadPool(MAX_STREAMS + 2, daemon("flock-console-" + node));
    this.reporter =
        Executors.newSingleThreadScheduledExecutor(daemon("flock-console-report-" + node));
    server.setExecutor(pool);
    server.createContext("/health/live", ex -> verdict(ex, health.notLive(), "live"));
    server.createContext("/health/ready", ex -> verdict(ex, health.notReady(), "ready"));
    server.createContext("/metrics", this::metrics);
    server.createContext("/api/cluster", this::cluster);
    server.createContext("/api/events", this::events);
    server.createContext("/", this::page);
    for (Map.Entry<String, DistributedSupervisor> e : supervisors.entrySet()) {
      SupervisorListener l = timeline.listener(e.getKey());
      listeners.put(e.getKey(), l);
      e.getValue().subscribe(l);
    }
    var unused = reporter.scheduleWithFixedDelay(this::publishReport, 0, 1, TimeUnit.SECONDS);
    server.start();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private void publishReport() {
    try {
      report.publish();
    } catch (Exception e) {
      log.debug("console: this node's report was not published: {}", e.toString());
    }
  }

  private void page(HttpExchange ex) throws IOException {
    if (!get(ex)) {
      return;
    }
    if (!ex.getRequestURI().getPath().equals("/")) {
      reply(ex, 404, "text/plain; charset=utf-8", "not found\n");
      return;
    }
    // The first view is in the page itself, so it renders before any request of its own.
    String initial;
    try {
      initial = view.json().replace("</", "<\\/");
    } catch (Exception e) {
      initial = "null";
    }
    reply(ex, 200, "text/html; charset=utf-8", page.replace(INITIAL, initial));
  }

  private void cluster(HttpExchange ex) throws IOException {
    if (!get(ex)) {
      return;
    }
    try {
      reply(ex, 200, "application/json", view.json());
    } catch (Exception e) {
      reply(ex, 503, "text/plain; charset=utf-8", "no view of the cluster: " + e + "\n");
    }
  }

  /** Server-sent events: the cluster view once a second while the page is open. */
  private void events(HttpExchange ex) throws IOException {
    if (!get(ex)) {
      return;
    }
    if (!streams.tryAcquire()) {
      reply(ex, 503, "text/plain; charset=utf-8", "too many live pages open\n");
      return;
    }
    try {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        while (!closed) {
          String json;
          try {
            json = view.json();
          } catch (Exception e) {
            json = null;
          }
          if (json != null) {
            out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
          }
          Thread.sleep(1_000);
        }
      }
    } catch (IOException | InterruptedException gone) {
      // the page was closed, or the console
    } finally {
      streams.release();
    }
  }

  /** A builder of the console of {@code cluster}'s node. */
  public static Builder builder(Cluster cluster) {
    return new Builder(cluster);
  }

  /** The port it listens on (the chosen one when the builder said 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving (idempotent). */
  @Override
  public void close() {
    closed = true;
    for (Map.Entry<String, SupervisorListener> e : listeners.entrySet()) {
      DistributedSupervisor s = supervisors.get(e.getKey());
      if (s != null) {
        s.unsubscribe(e.getValue());
      }
    }
    reporter.shutdownNow();
    server.stop(0);
    pool.shutdownNow();
  }

  private static void verdict(HttpExchange ex, List<String> why, String ok) throws IOException {
    if (!get(ex)) {
      return;
    }
    if (why.isEmpty()) {
      reply(ex, 200, "text/plain; charset=utf-8", ok + "\n");
    } else {
      reply(ex, 503, "text/plain; charset=utf-8", String.join("\n", why) + "\n");
    }
  }

  private void metrics(HttpExchange ex) throws IOException {
    if (!get(ex)) {
      return;
    }
    Supplier<String> scrape = metrics;
    if (scrape == null) {
      reply(ex, 404, "text/plain; charset=utf-8", "no metrics configured\n");
      return;
    }
    String body;
    try {
      body = scrape.get();
    } catch (RuntimeException e) {
      log.warn("the metrics scrape failed", e);
      reply(ex, 500, "text/plain; charset=utf-8", "the scrape failed\n");
      return;
    }
    reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8", body);
  }

  /** Only GET and HEAD: anything else is refused with 405 (nothing here changes the cluster). */
  private static boolean get(HttpExchange ex) throws IOException {
    String m = ex.getRequestMethod();
    if (m.equals("GET") || m.equals("HEAD")) {
      return true;
    }
    reply(ex, 405, "text/plain; charset=utf-8", "read-only: GET only\n");
    return false;
  }

  private static void reply(HttpExchange ex, int code, String type, String body)
      throws IOException {
    reply(ex, code, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void reply(HttpExchange ex, int code, String type, byte[] bytes)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(code, head ? -1 : bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      if (!head) {
        out.write(bytes);
      }
    }
  }

  /** Builds a {@link Console}; every setter validates its argument at once. */
  public static final class Builder {
    private final Cluster cluster;
    private String host = "127.0.0.1";
    private int port = 8558;
    private Duration timeout = Duration.ofSeconds(1);
    private @Nullable Supplier<String> metrics;
    private final Map<String, DistributedSupervisor> supervisors = new LinkedHashMap<>();
    private final ServicesView services = new ServicesView();

    private Builder(Cluster cluster) {
      this.cluster = requireNonNull(cluster, "cluster");
    }

    /**
     * The address to listen on (default {@code 127.0.0.1}; {@code 0.0.0.0} for an orchestrator's
     * probes from outside the host).
     */
    public Builder host(String host) {
      requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank");
      }
      this.host = host;
      return this;
    }

    /** The port (default 8558, Pekko Management's; 0 picks a free one). */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be within 0 and 65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** How long a probe waits for the node's core thread (default 1 s). */
    public Builder timeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** What {@code GET /metrics} serves: the Prometheus text format, produced on each scrape. */
    public Builder metrics(Supplier<String> scrape) {
      this.metrics = requireNonNull(scrape, "scrape");
      return this;
    }

    /**
     * Shows {@code supervisor}'s children on the page under {@code name}: where each is placed,
     * what this node runs (in its report to the others), and the moves this node hears.
     *
     * @throws IllegalArgumentException if the name is blank or given twice
     */
    public Builder supervisor(String name, DistributedSupervisor supervisor) {
      requireNonNull(name, "name");
      requireNonNull(supervisor, "supervisor");
      if (name.isBlank() || supervisors.containsKey(name) || services.has(name)) {
        throw new IllegalArgumentException("name must be non-blank and new, was '" + name + "'");
      }
      supervisors.put(name, supervisor);
      return this;
    }

    /**
     * Shows {@code registry}'s names on the page under {@code name}: how many, the first 200 by
     * name with the child and node that own each, and the name conflicts this node's children lost
     * (from now on).
     *
     * @throws IllegalArgumentException if the name is blank or given twice
     */
    public Builder registry(String name, Registry registry) {
      requireNonNull(registry, "registry");
      services.registry(newName(name), registry);
      return this;
    }

    /**
     * Shows the groups of the process-group scope {@code groups} on the page under {@code name},
     * each with its member count (the first 200 by name).
     *
     * @throws IllegalArgumentException if the name is blank or given twice
     */
    public Builder groups(String name, ProcessGroups groups) {
      requireNonNull(groups, "groups");
      services.groups(newName(name), groups);
      return this;
    }

    /**
     * Shows {@code singleton}'s leader, generation (its fencing token) and since when, under its
     * name.
     *
     * @throws IllegalArgumentException if its name is given twice
     */
    public Builder singleton(Singleton singleton) {
      requireNonNull(singleton, "singleton");
      var unused = newName(singleton.name());
      services.singleton(singleton);
      return this;
    }

    private String newName(String name) {
      requireNonNull(name, "name");
      if (name.isBlank() || supervisors.containsKey(name) || services.has(name)) {
        throw new IllegalArgumentException("name must be non-blank and new, was '" + name + "'");
      }
      return name;
    }

    /**
     * Starts serving.
     *
     * @throws UncheckedIOException if the address cannot be bound (the port is taken)
     */
    public Console start() {
      try {
        return new Console(this);
      } catch (IOException e) {
        throw new UncheckedIOException("console: cannot listen on " + host + ":" + port, e);
      }
    }
  }
}
