package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.membership.NodeId;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The conflict order of concurrent placements (issue "Distributed supervisor …", findings 5, 7 and
 * 13), on two replicas of the placement map with independent clocks.
 */
class PlacementOrderTest {
  private final AtomicLong slowClock = new AtomicLong(1_000);
  private final AtomicLong fastClock = new AtomicLong(1_000_000);
  private final AWLWWMap<String, Placement> slow =
      new AWLWWMap<>(new ReplicaId("n1", 1), new Hlc(slowClock::get), Placement.ORDER);
  private final AWLWWMap<String, Placement> fast =
      new AWLWWMap<>(new ReplicaId("n2", 1), new Hlc(fastClock::get), Placement.ORDER);
  private static final ChildSpec SPEC = ChildSpec.of("c", "worker");
  private static final NodeId N1 = new NodeId("n1", "127.0.0.1", 1, 1);
  private static final NodeId N2 = new NodeId("n2", "127.0.0.1", 2, 1);
  private static final NodeId N3 = new NodeId("n3", "127.0.0.1", 3, 7);

  private void exchange() {
    var a = slow.state();
    var b = fast.state();
    var unused1 = slow.join(b);
    var unused2 = fast.join(a);
  }

  /** Finding 5: a node with a fast clock won over a higher generation. */
  @Test
  void aFastClockNeverWinsOverAHigherGeneration() {
    var unused1 = slow.put("c", new Placement(SPEC, N1, 3, N1));
    var unused2 = fast.put("c", new Placement(SPEC, N2, 2, N2));
    exchange();
    assertThat(slow.get("c")).isEqualTo(fast.get("c"));
    assertThat(slow.get("c")).extracting(Placement::generation).isEqualTo(3L);
  }

  /** Finding 7: two claims of one generation carried the same token; the writer now breaks it. */
  @Test
  void twoClaimsOfOneGenerationAreOrderedByTheirWriterTheSameEverywhere() {
    Placement byN3 = new Placement(SPEC, N3, 2, N3);
    Placement byN2 = new Placement(SPEC, N2, 2, N2);
    assertThat(Placement.ORDER.compare(byN3, byN2)).isPositive();
    var unused1 = slow.put("c", byN3);
    var unused2 = fast.put("c", byN2);
    exchange();
    assertThat(slow.get("c")).isEqualTo(byN3).isEqualTo(fast.get("c"));
  }

  /** Finding 13: a terminate lost to a concurrent claim (add wins) and the child came back. */
  @Test
  void aTerminateMarkerBeatsAConcurrentClaimOfTheSameGeneration() {
    Placement original = new Placement(SPEC, N1, 1, N1);
    var unused0 = slow.put("c", original);
    var unused1 = fast.join(slow.state());
    var unused2 = slow.put("c", original.terminatedBy(N1)); // generation 2, a marker
    var unused3 = fast.put("c", new Placement(SPEC, N2, 2, N2)); // a concurrent claim, later clock
    exchange();
    assertThat(slow.get("c")).extracting(Placement::terminated).isEqualTo(true);
    assertThat(fast.get("c")).extracting(Placement::terminated).isEqualTo(true);
  }
}
