package io.flock.membership.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.ClusterEvent;
import io.flock.membership.MemberStatus;
import io.flock.membership.NodeId;
import org.junit.jupiter.api.Test;

class MemberViewTest {
  private static NodeId id(String name, long incarnation) {
    return new NodeId(name, "127.0.0.1", 7000, incarnation);
  }

  private final MemberView view = new MemberView(id("self", 1));

  @Test
  void peersMoveThroughTheStatusTableAndStaleRecordsAreIgnored() {
    view.addOrReplace(id("a", 1));
    Peer a = java.util.Objects.requireNonNull(view.get("a"));
    assertThat(view.record(a, MemberStatus.UP))
        .containsExactly(new ClusterEvent.MemberUp(id("a", 1)));
    assertThat(view.record(a, MemberStatus.UP)).isEmpty();
    assertThat(view.record(a, MemberStatus.JOINING)).isEmpty(); // UP -> JOINING is not allowed
    assertThat(a.recordStatus()).isEqualTo(MemberStatus.UP);
    assertThat(view.live(n -> true)).containsExactly(id("a", 1));
  }

  @Test
  void downAndHeardAgain() {
    view.addOrReplace(id("a", 1));
    Peer a = java.util.Objects.requireNonNull(view.get("a"));
    view.record(a, MemberStatus.UP);
    assertThat(view.down(a))
        .containsExactly(
            new ClusterEvent.Unreachable(id("a", 1)), new ClusterEvent.MemberDown(id("a", 1)));
    assertThat(view.isGone(id("a", 1))).isTrue();
    assertThat(view.neighbours()).isEmpty();
    assertThat(view.heard(a))
        .containsExactly(
            new ClusterEvent.Reachable(id("a", 1)), new ClusterEvent.MemberUp(id("a", 1)));
    assertThat(view.isGone(id("a", 1))).isFalse();
  }

  @Test
  void leftMembersAreRemovedAndRetired() {
    view.addOrReplace(id("a", 1));
    Peer a = java.util.Objects.requireNonNull(view.get("a"));
    view.record(a, MemberStatus.UP);
    view.record(a, MemberStatus.LEAVING);
    assertThat(view.record(a, MemberStatus.LEFT))
        .containsExactly(new ClusterEvent.MemberLeft(id("a", 1)));
    assertThat(view.get("a")).isNull();
    assertThat(view.isRetired(id("a", 1))).isTrue();
    assertThat(view.isGone(id("a", 1))).isTrue();
  }

  @Test
  void aNewerIncarnationReplacesAndRetiresTheOlder() {
    view.addOrReplace(id("a", 1));
    assertThat(view.addOrReplace(id("a", 2))).isEqualTo(id("a", 1));
    assertThat(view.isGone(id("a", 1))).isTrue();
    assertThat(view.isGone(id("a", 2))).isFalse();
    assertThat(view.isGone(id("stranger", 1))).isFalse(); // not heard of is not gone
  }

  @Test
  void ownStatusFollowsTheTable() {
    view.ownStatus(MemberStatus.UP);
    view.ownStatus(MemberStatus.LEAVING);
    assertThatThrownBy(() -> view.ownStatus(MemberStatus.UP))
        .isInstanceOf(IllegalStateException.class);
    assertThat(view.members().get(0).status()).isEqualTo(MemberStatus.LEAVING);
  }
}
