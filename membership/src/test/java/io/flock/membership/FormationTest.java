package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Forming a cluster from a fixed seed list, with nodes that are not seeds themselves. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FormationTest {
  static {
    NettyLeaks.install();
  }

  private static final Duration WAIT = Duration.ofSeconds(20);

  /**
   * Found by the demo (issue 21): three nodes that each name all three as seeds, and a fourth that
   * only asks them (bound to a lower port than any seed), never formed: every seed saw the
   * non-seed's "not joined yet" as a lower address and waited for it, and it may never form.
   */
  @Test
  void aNodeThatIsNoSeedNeverKeepsTheSeedsFromForming() throws IOException {
    List<Integer> ports = freePorts(4);
    ports.sort(null); // the lowest port goes to the node that is no seed
    List<String> seeds = ports.subList(1, 4).stream().map(p -> "127.0.0.1:" + p).toList();
    List<Cluster> nodes = new ArrayList<>();
    try {
      nodes.add(node("asker", ports.get(0), seeds));
      for (int i = 1; i <= 3; i++) {
        nodes.add(node("seed" + i, ports.get(i), seeds));
      }
      TestCluster.await(
          WAIT,
          () -> nodes.stream().allMatch(n -> upMembers(n) == 4),
          "the three seeds formed one cluster and the fourth joined it");
      assertThat(nodes).allSatisfy(n -> assertThat(upMembers(n)).isEqualTo(4));
    } finally {
      for (Cluster n : nodes) {
        n.close();
      }
    }
  }

  private static Cluster node(String name, int port, List<String> seeds) {
    return Cluster.builder("formation", name)
        .secret(TestCluster.secret())
        .bind("127.0.0.1", port)
        .seeds(seeds)
        .start();
  }

  private static long upMembers(Cluster c) {
    return c.members().join().stream().filter(m -> m.status() == MemberStatus.UP).count();
  }

  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
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
}
