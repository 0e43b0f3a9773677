package io.flock.console;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.flock.membership.Cluster;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 *       supervisors' meters (404 when none was given).
 * </ul>
 *
 * <pre>{@code
 * PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * cluster.metrics().bindTo(prometheus);
 * Console console = Console.builder(cluster).host("0.0.0.0").port(8558)
 *     .metrics(prometheus::scrape).start();
 * }</pre>
 *
 * <p>Threading: the builder on one thread; {@link #close} from any. Requests are served on the
 * console's own small pool, never on the cluster's threads.
 */
public final class Console implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Console.class);

  private final HttpServer server;
  private final ExecutorService pool;
  private final Health health;
  private final @Nullable Supplier<String> metrics;

  private Console(Builder b) throws IOException {
    this.health = new Health(b.cluster, b.timeout);
    this.metrics = b.metrics;
    this.server = HttpServer.create(new InetSocketAddress(b.host, b.port), 32);
    this.pool =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "flock-console-" + b.cluster.self().name());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    server.createContext("/health/live", ex -> verdict(ex, health.notLive(), "live"));
    server.createContext("/health/ready", ex -> verdict(ex, health.notReady(), "ready"));
    server.createContext("/metrics", this::metrics);
    server.start();
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
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
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
