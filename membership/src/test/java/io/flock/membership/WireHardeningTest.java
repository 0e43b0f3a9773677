package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.internal.node.ClusterNode;
import io.flock.membership.internal.protocol.ClusterMessages.MemberRecord;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The issue "Wire hardening": a member speaks only for itself. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WireHardeningTest {
  static {
    NettyLeaks.install();
  }

  /**
   * Finding 3: a node with the secret wrote another member's record as LEFT; the others dropped
   * that member and it saw "n0 DOWN, n2 DOWN, quorum=false" for good. Now the record is refused by
   * every other node (it is not from the member it describes), and nothing changes.
   */
  @Test
  void aMemberCannotWriteAnotherMembersRecord() throws Exception {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      NodeId victim = c.node(2).self();
      c.node(0)
          .runtime()
          .call(
              () -> {
                Scope<String, MemberRecord> members =
                    c.node(0).node().scopes().scope(ClusterNode.MEMBERS);
                return members.putNow(victim.name(), new MemberRecord(victim, MemberStatus.LEFT));
              })
          .get(5, TimeUnit.SECONDS);
      // A write node 0 makes after the forged one: once the others hold it, they had the forgery.
      c.node(0).scope("probe").put("after", "forgery").join();
      for (int i = 1; i < 3; i++) {
        Scope<String, String> probe = c.node(i).scope("probe");
        TestCluster.await(
            Duration.ofSeconds(10),
            () -> "forgery".equals(probe.get("after").join()),
            "the write after the forgery arrived");
      }
      for (int i = 1; i < 3; i++) {
        assertThat(c.node(i).members().join())
            .as("node " + i + " still sees the victim up")
            .anyMatch(m -> m.id().equals(victim) && m.status() == MemberStatus.UP);
        assertThat(c.node(i).hasQuorum().join()).isTrue();
      }
      assertThat(c.node(2).isClosed()).isFalse();
    }
  }
}
