package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.NodeId;
import io.flock.supervisor.SupervisorEvent.MoveCause;
import org.junit.jupiter.api.Test;

/** The cluster-wide event each kind of placement change means. */
class PlacementEventsTest {
  private static final NodeId A = new NodeId("a", "127.0.0.1", 1, 1);
  private static final NodeId B = new NodeId("b", "127.0.0.1", 2, 1);
  private static final NodeId C = new NodeId("c", "127.0.0.1", 3, 1);
  private static final ChildSpec SPEC = ChildSpec.of("x", "worker");

  private static Placement on(NodeId node, long generation, NodeId by) {
    return new Placement(SPEC, node, generation, by);
  }

  @Test
  void aNewPlacementIsPlacedAndAMarkerEndsIt() {
    Placement p = on(A, 1, B);
    assertThat(PlacementEvents.of("x", null, p))
        .isEqualTo(new SupervisorEvent.Placed("x", p.ref(), B));
    Placement marker = p.terminatedBy(C);
    assertThat(PlacementEvents.of("x", p, marker))
        .isEqualTo(new SupervisorEvent.Ended("x", p.ref()));
    assertThat(PlacementEvents.of("x", p, null)).isEqualTo(new SupervisorEvent.Ended("x", p.ref()));
    Placement again = on(B, marker.generation() + 1, C);
    assertThat(PlacementEvents.of("x", marker, again))
        .isEqualTo(new SupervisorEvent.Placed("x", again.ref(), C));
    assertThat(PlacementEvents.of("x", marker, marker.terminatedBy(C))).isNull();
  }

  @Test
  void aMoveIsAClaimAHandOverOrALostConflict() {
    Placement old = on(A, 3, A);
    Placement claimed = on(B, 4, C); // written by a claimer, not by the old node
    assertThat(PlacementEvents.of("x", old, claimed))
        .isEqualTo(new SupervisorEvent.Moved("x", old.ref(), claimed.ref(), MoveCause.CLAIMED, C));
    Placement handed = on(B, 4, A); // written by the node that ran it
    assertThat(PlacementEvents.of("x", old, handed))
        .isEqualTo(
            new SupervisorEvent.Moved("x", old.ref(), handed.ref(), MoveCause.HANDED_OVER, A));
    Placement rival = on(C, 3, C); // the same generation, made on the other side of a partition
    assertThat(PlacementEvents.of("x", old, rival))
        .isEqualTo(new SupervisorEvent.Moved("x", old.ref(), rival.ref(), MoveCause.CONFLICT, C));
    assertThat(PlacementEvents.of("x", old, old)).isNull();
  }
}
