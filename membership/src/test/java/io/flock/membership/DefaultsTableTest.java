package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.crdt.Replicator;
import io.flock.membership.internal.node.ClusterNode;
import io.flock.membership.internal.transport.NettyTransport;
import io.flock.membership.internal.transport.TransportConfig;
import io.flock.membership.storage.Fsync;
import io.flock.testkit.TestCluster;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: every default in the guide's table "Settings and their defaults" is tested against the
 * code (the membership rows here; the supervisor's rows in the supervisor's {@code
 * DefaultsTableTest}). A row added to the table without a check here fails the test.
 */
class DefaultsTableTest {
  /** The supervisor's rows, checked in the supervisor module. */
  static final Set<String> SUPERVISOR_ROWS =
      Set.of("restart intensity", "call deadline / fencing margin");

  @Test
  void everyMembershipDefaultInTheGuidesTableIsTheCodes() throws Exception {
    Map<String, String> table = table(Path.of("..", "docs", "guide.md"));
    long before = System.currentTimeMillis();
    ClusterSettings s = Cluster.builder("defaults", "n1").secret(TestCluster.secret()).settings();
    TransportConfig t = TransportConfig.defaults("defaults", TestCluster.secret(), k -> {});
    Replicator.Settings r = Replicator.Settings.defaults();
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put(
        "heartbeat / unreachable / down",
        duration(s.heartbeatInterval())
            + " / "
            + duration(s.unreachableAfter())
            + " / "
            + duration(s.downAfter()));
    expected.put("gossip round", duration(s.gossipInterval()));
    expected.put("join retry", duration(s.joinRetry()));
    expected.put(
        "lease / clock drift bound",
        String.format(Locale.ROOT, "(%,d ms) / %s", s.leaseDuration().toMillis(), s.clockDrift()));
    expected.put("remove a member down for", duration(s.removeAfter()));
    expected.put(
        "high water mark per connection", bytes(constant(NettyTransport.class, "HIGH_WATER_MARK")));
    expected.put(
        "core inbound backlog",
        String.format(
            Locale.ROOT,
            "above %,d messages, resume below %,d",
            constant(ClusterNode.class, "INBOUND_PAUSE_ABOVE"),
            constant(ClusterNode.class, "INBOUND_RESUME_BELOW")));
    expected.put(
        "max frame / handshake frame",
        bytes(t.maxFrameBytes()) + " / " + bytes(t.handshakeFrameBytes()));
    expected.put("largest scope value, endpoint message or reply", bytes(s.maxValueBytes()));
    expected.put("connections in their handshake", count(t.maxUnauthenticated()));
    expected.put(
        "value bytes per delta interval or sync chunk", bytes((int) Replicator.MAX_INTERVAL_BYTES));
    expected.put(
        "frame bodies deflated above",
        bytes(
            constant(
                Class.forName("io.flock.membership.internal.transport.WireCodec"),
                "COMPRESS_ABOVE")));
    expected.put(
        "peer name lookups", "≤ " + constant(NettyTransport.class, "DNS_MAX_TTL_SECONDS") + " s");
    expected.put("queue per peer while connecting", count(t.maxQueuedPerPeer()) + " messages");
    expected.put(
        "buffered deltas / keys per message",
        count(r.maxBufferedDeltas()) + " / " + count(r.maxSyncEntries()));
    expected.put(
        "status to a neighbour in step (idle)",
        "every " + r.quietStatusTicks() + " gossip rounds (each scope, each neighbour)");
    expected.put(
        "durable scopes: forced to the device",
        "every " + duration(java.util.Objects.requireNonNull(Fsync.DEFAULT.interval())));
    expected.put(
        "durable log rewritten as one snapshot",
        "at least "
            + bytes(
                constant(
                    Class.forName("io.flock.membership.internal.scope.ScopeJournal"),
                    "MIN_COMPACT_BYTES")));
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertThat(table).as("the guide's table has a row " + e.getKey()).containsKey(e.getKey());
      assertThat(table.get(e.getKey())).as(e.getKey()).contains(e.getValue());
    }
    // The incarnation's default: the start time in ms, never below the last default in this JVM
    // + 1 (other tests in this JVM may have pushed it ahead of the clock).
    assertThat(table.get("incarnation"))
        .startsWith("start time in ms, never below the last default in this JVM + 1");
    assertThat(s.incarnation()).isGreaterThanOrEqualTo(before);
    ClusterSettings next =
        Cluster.builder("defaults", "n2").secret(TestCluster.secret()).settings();
    assertThat(next.incarnation()).isGreaterThan(s.incarnation());
    Set<String> unchecked = new TreeSet<>(table.keySet());
    unchecked.removeAll(expected.keySet());
    unchecked.remove("incarnation");
    unchecked.removeAll(SUPERVISOR_ROWS);
    assertThat(unchecked).as("rows of the guide's table no test checks").isEmpty();
  }

  /** The rows of the guide's table "Settings and their defaults": setting → default. */
  static Map<String, String> table(Path guide) throws Exception {
    String text = Files.readString(guide, StandardCharsets.UTF_8);
    String section = text.substring(text.indexOf("## Settings and their defaults"));
    Map<String, String> rows = new LinkedHashMap<>();
    for (String line : section.lines().toList()) {
      String[] cells = line.split("\\|", -1);
      if (cells.length == 5 && !cells[1].isBlank() && !cells[1].contains("---")) {
        rows.put(cells[1].trim(), cells[2].trim());
      }
    }
    rows.remove("setting");
    return rows;
  }

  private static int constant(Class<?> owner, String name) throws Exception {
    Field f = owner.getDeclaredField(name);
    f.setAccessible(true);
    return f.getInt(null);
  }

  /** As the guide writes a duration: 200 ms, 1 s, 1.8 s. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1_000) {
      return ms + " ms";
    }
    return ms % 1_000 == 0 ? ms / 1_000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1e3);
  }

  private static String bytes(int n) {
    return n % (1 << 20) == 0 ? (n >> 20) + " MiB" : (n >> 10) + " KiB";
  }

  private static String count(int n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
