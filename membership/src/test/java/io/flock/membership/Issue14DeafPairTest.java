package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14, the deaf pair seen in QuorumPartitionIT after a heal: two nodes heard nothing from each
 * other for 32 s while both heard the rest, because each side's outgoing connection was a half-open
 * TCP connection the kernel still held open. A link that looks dead is redialed before the
 * detector's down verdict, so the pair never declares each other down.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Issue14DeafPairTest {
  static {
    NettyLeaks.install();
  }

  private static final Duration WAIT = Duration.ofSeconds(20);
  // A down verdict well after the lapse time, so a loaded machine does not decide the test.
  private static final Duration DOWN = Duration.ofSeconds(5);

  private static TestCluster start() {
    return TestCluster.start(
        3, b -> b.failureDetection(Duration.ofMillis(200), Duration.ofSeconds(1), DOWN));
  }

  @Test
  void deafPairAfterHealHalfOpenConnectionsBothWaysAreRedialedBeforeEitherIsDeclaredDown() {
    try (TestCluster c = start()) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      NodeId n0 = c.node(0).self();
      NodeId n1 = c.node(1).self();
      c.blackHole(0, 1);
      c.blackHole(1, 0);
      TestCluster.await(
          DOWN, () -> !c.blackHoled(0, 1) && !c.blackHoled(1, 0), "both connections redialed");
      TestCluster.await(WAIT, c::converged, "the pair hears each other again");
      assertNoDown(c, n0, n1);
      assertThat(c.node(0).self()).as("n0 kept its incarnation").isEqualTo(n0);
      assertThat(c.node(1).self()).as("n1 kept its incarnation").isEqualTo(n1);
    }
  }

  @Test
  void deafPairAfterHealAHalfOpenConnectionOneWayIsRedialedByItsSenderOnThePeersWord() {
    try (TestCluster c = start()) {
      TestCluster.await(WAIT, c::converged, "3 nodes up");
      NodeId n2 = c.node(2).self();
      c.blackHole(2, 0); // n2 still hears n0; n0 no longer hears n2 and says so
      TestCluster.await(DOWN, () -> !c.blackHoled(2, 0), "n2 redialed n0");
      TestCluster.await(WAIT, c::converged, "n0 hears n2 again");
      assertNoDown(c, n2);
      assertThat(c.node(2).self()).isEqualTo(n2);
    }
  }

  private static void assertNoDown(TestCluster c, NodeId... ids) {
    for (int i = 0; i < c.size(); i++) {
      for (NodeId id : ids) {
        assertThat(c.events(i))
            .as("n%d's events", i)
            .doesNotContain(new ClusterEvent.MemberDown(id));
      }
    }
  }
}
