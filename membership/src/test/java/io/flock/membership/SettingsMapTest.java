package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.testkit.TestCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 21: a node configured from named settings (the environment), and the table of defaults. */
@Timeout(60)
class SettingsMapTest {
  private static final String SECRET = "a secret of twenty-two";

  private static Map<String, String> required(String node) {
    Map<String, String> m = new HashMap<>();
    m.put("FLOCK_CLUSTER", "orders");
    m.put("FLOCK_NODE", node);
    m.put("FLOCK_SECRET", SECRET);
    m.put("PATH", "/usr/bin"); // not ours: ignored
    return m;
  }

  @Test
  void everySettingReachesTheBuilder() {
    Map<String, String> m = required("n1");
    m.putAll(
        Map.of(
            "FLOCK_BIND", "0.0.0.0:7001",
            "FLOCK_ADVERTISE", "n1.flock",
            "FLOCK_SEEDS", "n0.flock:7000, n2.flock:7000",
            "FLOCK_INCARNATION", "42",
            "FLOCK_HEARTBEAT", "100ms",
            "FLOCK_UNREACHABLE", "PT0.5S",
            "FLOCK_DOWN", "1s",
            "FLOCK_REMOVE_AFTER", "2m",
            "FLOCK_GOSSIP_INTERVAL", "150ms",
            "FLOCK_JOIN_RETRY", "1s"));
    m.put("FLOCK_QUORUM_SIZE", "3");
    m.put("FLOCK_MAX_VALUE_BYTES", "65536");
    m.put("FLOCK_LEASE", "500ms");
    ClusterSettings s = ClusterBuilder.fromSettings("FLOCK_", m).settings();
    assertThat(s.clusterName()).isEqualTo("orders");
    assertThat(s.nodeName()).isEqualTo("n1");
    assertThat(s.bindHost()).isEqualTo("0.0.0.0");
    assertThat(s.bindPort()).isEqualTo(7001);
    assertThat(s.advertisedHost()).isEqualTo("n1.flock");
    assertThat(s.incarnation()).isEqualTo(42);
    assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(s.unreachableAfter()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.downAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.removeAfter()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.gossipInterval()).isEqualTo(Duration.ofMillis(150));
    assertThat(s.joinRetry()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.quorumSize()).isEqualTo(3);
    assertThat(s.maxValueBytes()).isEqualTo(65536);
    assertThat(s.leaseDuration()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void badSettingsAreRefusedByName() {
    Map<String, String> typo = required("n1");
    typo.put("FLOCK_HEARTBEET", "100ms");
    assertThatThrownBy(() -> ClusterBuilder.fromSettings("FLOCK_", typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("FLOCK_HEARTBEET");
    Map<String, String> noSecret = required("n1");
    noSecret.remove("FLOCK_SECRET");
    assertThatThrownBy(() -> ClusterBuilder.fromSettings("FLOCK_", noSecret))
        .hasMessageContaining("FLOCK_SECRET is required");
    Map<String, String> badDown = required("n1");
    badDown.put("FLOCK_DOWN", "soon");
    assertThatThrownBy(() -> ClusterBuilder.fromSettings("FLOCK_", badDown))
        .hasMessageContaining("FLOCK_DOWN");
    Map<String, String> badPort = required("n1");
    badPort.put("FLOCK_BIND", "0.0.0.0:99999");
    assertThatThrownBy(() -> ClusterBuilder.fromSettings("FLOCK_", badPort))
        .hasMessageContaining("FLOCK_BIND");
    Map<String, String> both = required("n1");
    both.put("FLOCK_SEEDS", "a:1");
    both.put("FLOCK_SEEDS_DNS", "flock.default.svc:7000");
    assertThatThrownBy(() -> ClusterBuilder.fromSettings("FLOCK_", both))
        .hasMessageContaining("exclusive");
  }

  /** The guide's table lists exactly these settings with these defaults, and the code agrees. */
  @Test
  void theGuidesTableOfDefaultsIsTheCodes() throws Exception {
    String guide = Files.readString(Path.of("..", "docs", "guide.md"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("\\| `FLOCK_([A-Z_]+)` \\| ([^|]+?) \\|").matcher(guide);
    Map<String, String> documented = new TreeMap<>();
    while (m.find()) {
      documented.put(m.group(1), m.group(2).trim());
    }
    assertThat(documented).isEqualTo(new TreeMap<>(SettingsMap.NAMES));
    ClusterSettings s = ClusterBuilder.fromSettings("FLOCK_", required("n1")).settings();
    Map<String, String> d = SettingsMap.NAMES;
    assertThat(s.bindHost() + ":" + s.bindPort()).isEqualTo(d.get("BIND"));
    assertThat(s.advertisedHost()).isEqualTo(d.get("ADVERTISE"));
    assertThat(s.heartbeatInterval()).isEqualTo(defaultDuration("HEARTBEAT"));
    assertThat(s.unreachableAfter()).isEqualTo(defaultDuration("UNREACHABLE"));
    assertThat(s.downAfter()).isEqualTo(defaultDuration("DOWN"));
    assertThat(s.removeAfter()).isEqualTo(defaultDuration("REMOVE_AFTER"));
    assertThat(s.gossipInterval()).isEqualTo(defaultDuration("GOSSIP_INTERVAL"));
    assertThat(s.joinRetry()).isEqualTo(defaultDuration("JOIN_RETRY"));
    assertThat(String.valueOf(s.quorumSize())).isEqualTo(d.get("QUORUM_SIZE"));
    assertThat(String.valueOf(s.maxValueBytes())).isEqualTo(d.get("MAX_VALUE_BYTES"));
    assertThat("derived (" + s.leaseDuration().toMillis() + "ms)").isEqualTo(d.get("LEASE"));
  }

  private static Duration defaultDuration(String name) {
    return SettingsMap.duration(
        name, java.util.Objects.requireNonNull(SettingsMap.NAMES.get(name)));
  }

  @Test
  void aNodeConfiguredFromSettingsJoinsOneConfiguredInCode() {
    try (Cluster a =
        Cluster.builder("orders", "a")
            .secret(SECRET.getBytes(StandardCharsets.UTF_8))
            .seeds(List.of())
            .start()) {
      Map<String, String> env = required("b");
      env.put("FLOCK_SEEDS", "127.0.0.1:" + a.self().port());
      try (Cluster b = ClusterBuilder.fromSettings("FLOCK_", env).start()) {
        TestCluster.await(
            Duration.ofSeconds(20),
            () -> b.members().join().size() == 2 && a.members().join().size() == 2,
            "b joined a");
      }
    }
  }
}
