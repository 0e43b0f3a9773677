package io.flock.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.NodeId;
import io.flock.registry.Registration;
import io.flock.registry.Registry;
import io.flock.registry.RegistryEvent;
import io.flock.supervisor.ChildRef;
import io.flock.testkit.TestCluster;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 21's health endpoints on an in-JVM cluster of three, over loopback: what an orchestrator's
 * probes and a Prometheus server see while the node is healthy, cut off alone, stalled, closed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsoleTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build();
  private final List<Console> consoles = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);

  @AfterEach
  void stop() {
    consoles.forEach(Console::close);
    cluster.close();
  }

  private Console console(int node, @Nullable PrometheusMeterRegistry prometheus) {
    Console.Builder b = Console.builder(cluster.node(node)).port(0).timeout(Duration.ofMillis(300));
    if (prometheus != null) {
      b.metrics(prometheus::scrape);
    }
    Console c = b.start();
    consoles.add(c);
    return c;
  }

  private HttpResponse<String> get(Console c, String path) {
    return send(c, path, "GET");
  }

  private HttpResponse<String> send(Console c, String path, String method) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + path))
              .method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(WAIT)
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private void awaitStatus(Console c, String path, int code) {
    TestCluster.await(WAIT, () -> get(c, path).statusCode() == code, path + " answers " + code);
  }

  @Test
  void aHealthyNodeIsLiveAndReadyAndServesItsMeters() {
    cluster = TestCluster.start(3);
    TestCluster.await(WAIT, cluster::converged, "3 nodes up");
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    cluster.node(0).metrics().bindTo(prometheus);
    Console c = console(0, prometheus);
    assertThat(get(c, "/health/live").statusCode()).isEqualTo(200);
    awaitStatus(c, "/health/ready", 200);
    HttpResponse<String> metrics = get(c, "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    assertThat(metrics.body()).contains("flock_");
    assertThat(send(c, "/health/live", "POST").statusCode()).as("read-only").isEqualTo(405);
    assertThat(get(console(1, null), "/metrics").statusCode()).isEqualTo(404);
  }

  @Test
  void aNodeCutOffAloneStaysLiveButIsNotReadyUntilTheHeal() {
    cluster = TestCluster.start(3);
    TestCluster.await(WAIT, cluster::converged, "3 nodes up");
    Console c = console(0, null);
    awaitStatus(c, "/health/ready", 200);
    cluster.partition(Set.of(0));
    awaitStatus(c, "/health/ready", 503);
    assertThat(get(c, "/health/ready").body()).contains("no lease");
    assertThat(get(c, "/health/live").statusCode()).isEqualTo(200);
    cluster.heal();
    awaitStatus(c, "/health/ready", 200);
  }

  @Test
  void aStalledCoreIsNotLiveAndAClosedNodeNeither() throws Exception {
    cluster = TestCluster.start(1);
    TestCluster.await(WAIT, cluster::converged, "1 node up");
    Console c = console(0, null);
    awaitStatus(c, "/health/live", 200);
    CompletableFuture<Void> stall =
        CompletableFuture.runAsync(() -> cluster.pause(0, Duration.ofSeconds(3)));
    awaitStatus(c, "/health/live", 503);
    assertThat(get(c, "/health/ready").statusCode()).isEqualTo(503);
    stall.get(10, TimeUnit.SECONDS);
    awaitStatus(c, "/health/live", 200);
    cluster.kill(0);
    HttpResponse<String> closed = get(c, "/health/live");
    assertThat(closed.statusCode()).isEqualTo(503);
    assertThat(closed.body()).contains("closed");
  }

  @Test
  void badArgumentsAreRefusedWithTheirNames() {
    cluster = TestCluster.start(1);
    assertThatThrownBy(() -> Console.builder(cluster.node(0)).port(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> Console.builder(cluster.node(0)).timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout");
    assertThatThrownBy(() -> Console.builder(cluster.node(0)).host(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host");
    Console c = console(0, null);
    assertThatThrownBy(() -> Console.builder(cluster.node(0)).port(c.port()).start())
        .hasMessageContaining(String.valueOf(c.port()));
  }

  /**
   * A name conflict one of this node's children lost is listed under its registry (the loser and
   * the winner, with node and generation), and a name given twice to one console is refused.
   */
  @Test
  void aLostNameConflictIsListedAndAConsoleNameIsTakenOnce() throws Exception {
    cluster = TestCluster.start(1, b -> b.wireTypes(Registry.wireTypes()));
    Registry names = Registry.builder("names", cluster.node(0)).start();
    try {
      ServicesView view = new ServicesView();
      view.registry("names", names);
      NodeId n0 = cluster.node(0).self();
      NodeId n1 = new NodeId("n1", "127.0.0.1", 7001, 1);
      view.conflictListener("names")
          .accept(
              new RegistryEvent.ConflictLost(
                  new Registration("orders", new ChildRef("a", n0, 1), Map.of()),
                  new Registration("orders", new ChildRef("b", n1, 3), Map.of())));
      String json = view.json(new StringBuilder("{")).append('}').toString();
      assertThat(json)
          .contains("\"count\":0")
          .contains("\"name\":\"orders\",\"loser\":\"a@n0#1\",\"winner\":\"b@n1#3\"");
      assertThatThrownBy(
              () ->
                  Console.builder(cluster.node(0))
                      .registry("names", names)
                      .registry("names", names))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("names");
    } finally {
      names.close();
    }
  }
}
