package io.flock.membership.internal.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.ClusterEvent;
import io.flock.membership.MemberStatus;
import io.flock.membership.NodeId;
import io.flock.membership.internal.view.MemberView;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuorumTest {
  private static NodeId id(String name) {
    return new NodeId(name, "127.0.0.1", 7000, 1);
  }

  @Test
  void aMajorityOfTheExpectedMembersMakesQuorum() {
    MemberView view = new MemberView(id("self"));
    Quorum q = new Quorum(0);
    assertThat(q.update(view, null)).isNull(); // still JOINING: no quorum, however few expected
    assertThat(q.has()).isFalse();
    view.ownStatus(MemberStatus.UP);
    assertThat(q.update(view, null)).isEqualTo(new ClusterEvent.QuorumGained(1, 1));
    view.addOrReplace(id("a"));
    view.addOrReplace(id("b"));
    assertThat(q.update(view, null)).isNull(); // 3 of 3
    view.down(java.util.Objects.requireNonNull(view.get("a")));
    assertThat(q.update(view, null)).isNull(); // 2 of 3
    view.down(java.util.Objects.requireNonNull(view.get("b")));
    assertThat(q.update(view, null)).isEqualTo(new ClusterEvent.QuorumLost(1, 3));
    // A member that left gracefully stops counting.
    view.record(java.util.Objects.requireNonNull(view.get("b")), MemberStatus.LEFT);
    view.record(java.util.Objects.requireNonNull(view.get("a")), MemberStatus.LEFT);
    assertThat(q.update(view, null)).isEqualTo(new ClusterEvent.QuorumGained(1, 1));
  }

  @Test
  void theExplicitMemberSetAndTheMinimumSizeDecideWhatIsExpected() {
    MemberView view = new MemberView(id("self"));
    Quorum q = new Quorum(3);
    assertThat(q.update(view, null)).isNull(); // 1 of at least 3: no quorum, no change
    assertThat(q.has()).isFalse();
    Quorum explicit = new Quorum(0);
    assertThat(explicit.update(view, List.of("x", "y"))).isNull(); // self not in the set: 0 of 2
    assertThat(explicit.has()).isFalse();
  }
}
