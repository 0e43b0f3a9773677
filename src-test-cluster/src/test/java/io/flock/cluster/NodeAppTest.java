package io.flock.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The runnable node's HTTP surface and ledger, on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeAppTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private String get(NodeApp app, String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(app, path)).GET().build());
  }

  private String send(HttpRequest request) throws Exception {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  private static URI uri(NodeApp app, String path) {
    return URI.create("http://127.0.0.1:" + app.httpPort() + path);
  }

  @Test
  void startsListsAndLedgersChildrenOverHttp() throws Exception {
    try (NodeApp a = NodeApp.start(NodeApp.Settings.loopback("a", 0, List.of(), 0));
        NodeApp b =
            NodeApp.start(
                NodeApp.Settings.loopback("b", 0, List.of(a.cluster().self().address()), 0))) {
      TestCluster.await(
          Duration.ofSeconds(20),
          () -> uncheckedGet(a, "/members").contains("b UP true"),
          "b joined");
      String started =
          send(
              HttpRequest.newBuilder(uri(a, "/children?count=20&prefix=w-"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(started).startsWith("started 20");
      TestCluster.await(
          Duration.ofSeconds(20),
          () -> uncheckedGet(b, "/children").lines().count() == 20,
          "b sees 20 children");
      TestCluster.await(
          Duration.ofSeconds(20), () -> localCount(a) + localCount(b) == 20, "20 run in all");
      String ledger = get(a, "/ledger") + get(b, "/ledger");
      assertThat(ledger.lines().filter(l -> l.contains(" start w-")).count()).isEqualTo(20);
      assertThat(get(a, "/status")).contains("quorum true");
      Map<String, Long> perNode = Map.of("a", localCount(a), "b", localCount(b));
      assertThat(perNode.values()).allMatch(n -> n > 0);
    }
  }

  @Test
  void aLedgerFileOutlivesARestart(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ledger.log");
    NodeApp.Settings loopback = NodeApp.Settings.loopback("a", 0, List.of(), 0);
    NodeApp.Settings settings =
        new NodeApp.Settings(
            loopback.name(),
            loopback.bindHost(),
            0,
            loopback.advertise(),
            List.of(),
            0,
            false,
            loopback.secret(),
            file,
            null);
    try (NodeApp a = NodeApp.start(settings)) {
      send(
          HttpRequest.newBuilder(uri(a, "/children?count=3&prefix=p-"))
              .POST(HttpRequest.BodyPublishers.noBody())
              .build());
      TestCluster.await(Duration.ofSeconds(20), () -> localCount(a) == 3, "3 run");
      a.shutdown(Duration.ofSeconds(5));
    }
    List<String> written = Files.readAllLines(file);
    assertThat(written).filteredOn(l -> l.contains(" start p-")).hasSize(3);
    assertThat(written).filteredOn(l -> l.contains(" stop p-")).hasSize(3);
    try (NodeApp again = NodeApp.start(settings)) {
      assertThat(get(again, "/ledger").lines().toList()).isEqualTo(written);
    }
  }

  private long localCount(NodeApp app) {
    return uncheckedGet(app, "/local").lines().filter(l -> l.endsWith("RUNNING")).count();
  }

  private String uncheckedGet(NodeApp app, String path) {
    try {
      return get(app, path);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void environmentSettingsNameWhatIsMissing() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> NodeApp.Settings.fromEnvironment(k -> null))
        .hasMessageContaining("FLOCK_NODE");
    NodeApp.Settings s =
        NodeApp.Settings.fromEnvironment(
            Map.of("FLOCK_NODE", "n1", "FLOCK_SEEDS", "n2:7000,n3:7000", "FLOCK_STRATEGY", "quorum")
                ::get);
    assertThat(s.seeds()).containsExactly("n2:7000", "n3:7000");
    assertThat(s.quorum()).isTrue();
    assertThat(s.advertise()).isEqualTo("n1");
  }
}
