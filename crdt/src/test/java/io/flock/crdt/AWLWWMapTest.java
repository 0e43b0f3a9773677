package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AWLWWMapTest {
  private final AtomicLong time = new AtomicLong(1_000);

  private AWLWWMap<String, String> replica(String node) {
    return new AWLWWMap<>(new ReplicaId(node, 1), new Hlc(time::get));
  }

  @Test
  void putGetRemoveAndClear() {
    AWLWWMap<String, String> a = replica("a");
    a.put("x", "1");
    a.put("y", "2");
    a.put("x", "3");
    assertThat(a.get("x")).isEqualTo("3");
    assertThat(a.size()).isEqualTo(2);
    assertThat(a.remove("x").keys()).containsExactly("x");
    assertThat(a.containsKey("x")).isFalse();
    assertThat(a.remove("absent").isEmpty()).isTrue();
    Delta<String, String> clear = a.clear();
    assertThat(a.isEmpty()).isTrue();

    AWLWWMap<String, String> b = replica("b");
    b.join(replica("c").state());
    b.put("z", "late");
    b.join(clear);
    assertThat(b.snapshot()).as("clear removes only what it observed").containsOnlyKeys("z");
  }

  @Test
  void joinReportsAddedUpdatedRemoved() {
    AWLWWMap<String, String> a = replica("a");
    AWLWWMap<String, String> b = replica("b");
    assertThat(b.join(a.put("k", "1"))).containsExactly(new Change.Added<>("k", "1"));
    assertThat(b.join(a.put("k", "2"))).containsExactly(new Change.Updated<>("k", "1", "2"));
    assertThat(b.join(a.put("k", "2"))).as("same value, no visible change").isEmpty();
    assertThat(b.join(a.remove("k"))).containsExactly(new Change.Removed<>("k", "2"));
  }

  @Test
  void oneKeyDeltaStaysSmallInABigMap() {
    AWLWWMap<String, String> a = replica("a");
    for (int i = 0; i < 10_000; i++) {
      a.put("k" + i, "v");
    }
    Delta<String, String> delta = a.put("k5", "w");
    assertThat(delta.keys()).containsExactly("k5");
    assertThat(delta.context().cloudSize() + delta.context().versions().size())
        .isLessThanOrEqualTo(2);
  }

  @Test
  @SuppressWarnings("NullAway") // passes null on purpose
  void nullArgumentsNameTheParameter() {
    AWLWWMap<String, String> a = replica("a");
    assertThatThrownBy(() -> a.put(null, "v")).hasMessage("key");
    assertThatThrownBy(() -> a.put("k", null)).hasMessage("value");
    assertThatThrownBy(() -> a.remove(null)).hasMessage("key");
    assertThatThrownBy(() -> a.join(null)).hasMessage("delta");
    assertThatThrownBy(() -> new ReplicaId("", 1)).hasMessageContaining("node");
    assertThatThrownBy(() -> new ReplicaId("n", -1)).hasMessageContaining("incarnation");
    assertThatThrownBy(() -> new Dot(new ReplicaId("n", 1), 0)).hasMessageContaining("counter");
    assertThat(a.size()).isZero();
  }

  @Test
  void malformedDeltasAreRejectedAndChangeNothing() {
    AWLWWMap<String, String> a = replica("a");
    a.put("k", "v");
    Delta<String, String> before = a.state();
    ReplicaId other = new ReplicaId("b", 1);

    assertThatThrownBy(
            () ->
                Delta.of(
                    Map.of("k", List.of(new Dotted<>(other, 3, 1, "x"))),
                    CausalContext.ofDots(new Dot(other, 2)),
                    false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not in its context");
    Dotted<String> dup = new Dotted<>(other, 1, 1, "x");
    assertThatThrownBy(
            () -> Delta.of(Map.of("k", List.of(dup, dup)), CausalContext.ofDots(dup.dot()), false))
        .hasMessageContaining("twice");

    // A dot of this replica it never issued: someone reuses our id.
    ReplicaId self = a.replica();
    Delta<String, String> forged =
        Delta.of(
            Map.of("k", List.of(new Dotted<>(self, 99, 1, "forged"))),
            CausalContext.ofDots(new Dot(self, 99)),
            false);
    assertThatThrownBy(() -> a.join(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has issued only 1")
        .hasMessageContaining("a#1:99");

    Delta<String, String> retiring =
        Delta.of(Map.of(), CausalContext.of(Map.of(), List.of(), Map.of("b", 5L)), false);
    assertThatThrownBy(() -> a.join(retiring)).hasMessageContaining("keyed delta cannot retire");
    Delta<String, String> retiresUs =
        Delta.of(Map.of(), CausalContext.of(Map.of(), List.of(), Map.of("a", 5L)), true);
    assertThatThrownBy(() -> a.join(retiresUs)).hasMessageContaining("retires this replica");

    assertThat(a.state()).isEqualTo(before);
  }

  @Test
  void pruneRefusesWhileDotsAreMissingAndKeepsEntries() {
    AWLWWMap<String, String> old = new AWLWWMap<>(new ReplicaId("n", 1), new Hlc(time::get));
    AWLWWMap<String, String> a = replica("a");
    Delta<String, String> first = old.put("x", "1");
    old.put("y", "2");
    Delta<String, String> third = old.put("z", "3");
    a.join(first);
    a.join(third); // dot n#1:2 is missing

    assertThatThrownBy(() -> a.prune("n", 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("n#1");
    assertThatThrownBy(() -> a.prune("a", 2)).hasMessageContaining("itself");
    assertThatThrownBy(() -> a.prune("n", -1)).hasMessageContaining("belowIncarnation");

    a.join(old.state());
    a.prune("n", 2);
    assertThat(a.snapshot()).containsOnlyKeys("x", "y", "z");
    assertThat(a.context().replicas()).noneMatch(r -> r.node().equals("n"));
    assertThat(a.context().retiredBelow()).containsEntry("n", 2L);

    // A stale copy of an entry removed after pruning does not come back.
    a.remove("x");
    assertThat(a.join(first)).isEmpty();
    assertThat(a.containsKey("x")).isFalse();
  }

  @Test
  void restartedNodeIsANewReplica() {
    AWLWWMap<String, String> first = new AWLWWMap<>(new ReplicaId("n", 1), new Hlc(time::get));
    AWLWWMap<String, String> peer = replica("p");
    peer.join(first.put("k", "before-restart"));
    AWLWWMap<String, String> second = new AWLWWMap<>(new ReplicaId("n", 2), new Hlc(time::get));
    second.join(peer.state());
    Delta<String, String> write = second.put("k", "after-restart");
    assertThat(write.entries("k").getFirst().dot()).isEqualTo(new Dot(new ReplicaId("n", 2), 1));
    peer.join(write);
    assertThat(peer.get("k")).isEqualTo("after-restart");
  }

  /**
   * Issue 17 (a live child's name vanished after a heal): removing the entry of one writer leaves a
   * concurrent entry of the same key, hidden by the order, visible on every replica.
   */
  @Test
  void removeIfCoversOnlyTheMatchingEntriesAndTheConcurrentOneSurfaces() {
    AWLWWMap<String, String> a = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 0));
    AWLWWMap<String, String> b = new AWLWWMap<>(new ReplicaId("b", 1), new Hlc(() -> 0));
    Delta<String, String> fromA = a.put("k", "dead");
    Delta<String, String> fromB = b.put("k", "live");
    a.join(fromB);
    b.join(fromA);
    assertThat(a.get("k")).isEqualTo(b.get("k"));
    AWLWWMap<String, String> c = new AWLWWMap<>(new ReplicaId("c", 1), new Hlc(() -> 0));
    c.join(a.state());
    Delta<String, String> removal = c.removeIf("k", "dead"::equals);
    assertThat(c.get("k")).isEqualTo("live");
    a.join(removal);
    b.join(removal);
    assertThat(a.get("k")).isEqualTo("live");
    assertThat(b.get("k")).isEqualTo("live");
    assertThat(c.removeIf("k", "absent"::equals).isEmpty()).isTrue();
    // A plain remove covers both.
    assertThat(c.remove("k").isEmpty()).isFalse();
    assertThat(c.get("k")).isNull();
  }
}
