package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Add-wins and last-writer-wins with hybrid logical clocks, on generated concurrent histories. */
class SemanticsProperties {

  private static AWLWWMap<String, String> replica(String node, AtomicLong physical) {
    return new AWLWWMap<>(new ReplicaId(node, 1), new Hlc(physical::get));
  }

  /** A put concurrent with a remove of the same key survives on both sides, whatever the order. */
  @Property(tries = 1000)
  void concurrentPutWinsOverRemove(
      @ForAll @LongRange(min = 0, max = 1_000_000) long clockA,
      @ForAll @LongRange(min = 0, max = 1_000_000) long clockB,
      @ForAll @IntRange(min = 0, max = 3) int priorWrites,
      @ForAll boolean removerFirst) {
    AtomicLong ta = new AtomicLong(clockA);
    AtomicLong tb = new AtomicLong(clockB);
    AWLWWMap<String, String> a = replica("a", ta);
    AWLWWMap<String, String> b = replica("b", tb);
    for (int i = 0; i <= priorWrites; i++) {
      b.join((i % 2 == 0 ? a : b).put("k", "old" + i));
      a.join(b.state());
    }
    Delta<String, String> remove = a.remove("k");
    Delta<String, String> put = b.put("k", "new");
    if (removerFirst) {
      b.join(remove);
      a.join(put);
    } else {
      a.join(put);
      b.join(remove);
    }
    assertThat(a.get("k")).isEqualTo("new");
    assertThat(b.get("k")).isEqualTo("new");
  }

  /** Of concurrent puts, the greatest (timestamp, replica) wins everywhere. */
  @Property(tries = 1000)
  void concurrentPutsPickTheSameWinner(
      @ForAll @LongRange(min = 0, max = 1000) long clockA,
      @ForAll @LongRange(min = 0, max = 1000) long clockB,
      @ForAll @IntRange(min = 1, max = 3) int writersInA) {
    AtomicLong ta = new AtomicLong(clockA);
    AtomicLong tb = new AtomicLong(clockB);
    AWLWWMap<String, String> a = replica("a", ta);
    AWLWWMap<String, String> b = replica("b", tb);
    Delta<String, String> fromA = Delta.empty();
    for (int i = 0; i < writersInA; i++) {
      fromA = fromA.join(a.put("k", "a" + i));
    }
    Delta<String, String> fromB = b.put("k", "b");
    Dotted<String> lastA = fromA.entries("k").getFirst();
    Dotted<String> lastB = fromB.entries("k").getFirst();
    String expected = lastA.winsOver(lastB) ? lastA.value() : lastB.value();
    a.join(fromB);
    b.join(fromA);
    assertThat(a.get("k")).isEqualTo(expected).isEqualTo(b.get("k"));
    if (lastA.timestamp() != lastB.timestamp()) {
      assertThat(expected).isEqualTo(lastA.timestamp() > lastB.timestamp() ? lastA.value() : "b");
    }
  }

  /**
   * A write that causally follows another wins even when its node's wall clock is far behind: its
   * put covers the observed dot, whatever the timestamps. Within the HLC's drift bound its
   * timestamp is also greater; beyond it, the slow node's clock is not dragged past the bound.
   */
  @Property(tries = 1000)
  void causallyLaterWriteWinsWithSlowClock(
      @ForAll @LongRange(min = 1_000, max = 10_000_000) long fastClock,
      @ForAll @LongRange(min = 0, max = 999) long slowClock) {
    AtomicLong ta = new AtomicLong(fastClock);
    AtomicLong tb = new AtomicLong(slowClock);
    AWLWWMap<String, String> a = replica("z-fast", ta);
    AWLWWMap<String, String> b = replica("a-slow", tb);
    b.join(a.put("k", "first"));
    long first = a.state().entries("k").getFirst().timestamp();
    Delta<String, String> later = b.put("k", "second");
    a.join(later);
    assertThat(a.get("k")).isEqualTo("second");
    assertThat(b.get("k")).isEqualTo("second");
    if (fastClock - slowClock <= Hlc.DEFAULT_MAX_OFFSET_MILLIS) {
      assertThat(later.entries("k").getFirst().timestamp()).isGreaterThan(first);
      // And the slow node's next independent write is still after what it observed.
      assertThat(Hlc.physicalMillis(b.lastTimestamp())).isGreaterThanOrEqualTo(fastClock);
    } else {
      assertThat(Hlc.physicalMillis(b.lastTimestamp()))
          .isLessThanOrEqualTo(slowClock + Hlc.DEFAULT_MAX_OFFSET_MILLIS + 1);
    }
  }

  /**
   * Pruning a retired incarnation never changes the visible map and never resurrects a removed key:
   * a cluster that prunes shows exactly what an identical cluster that never prunes shows, also
   * when stale deltas of the retired replica arrive afterwards.
   */
  @Property(tries = 1000)
  void pruningChangesNothingVisible(
      @ForAll("historiesBefore") List<History.Op> before,
      @ForAll("historiesAfter") List<History.Op> after) {
    History pruned = History.run(3, before);
    History reference = History.run(3, before);
    for (History h : List.of(pruned, reference)) {
      // Everyone observes everything: the condition for retiring n2.
      for (int round = 0; round < 2; round++) {
        for (AWLWWMap<String, String> to : h.replicas) {
          for (AWLWWMap<String, String> from : h.replicas) {
            to.join(from.state());
          }
        }
      }
    }
    for (int i = 0; i < 2; i++) {
      var visible = pruned.replicas.get(i).snapshot();
      pruned.replicas.get(i).prune("n2", 2);
      assertThat(pruned.replicas.get(i).snapshot()).isEqualTo(visible);
      assertThat(pruned.replicas.get(i).context().replicas()).noneMatch(r -> r.node().equals("n2"));
    }
    for (History.Op op : after) {
      if (touchesRetired(op)) {
        continue;
      }
      pruned.apply(op);
      reference.apply(op);
      for (int i = 0; i < 2; i++) {
        assertThat(pruned.replicas.get(i).snapshot())
            .isEqualTo(reference.replicas.get(i).snapshot());
      }
    }
  }

  /** After retirement n2 makes no write; its old deltas may still be delivered to others. */
  private static boolean touchesRetired(History.Op op) {
    return switch (op) {
      case History.Put p -> p.replica() == 2;
      case History.Remove r -> r.replica() == 2;
      case History.Clear c -> c.replica() == 2;
      case History.Sync s -> s.to() == 2 || s.from() == 2;
      case History.Deliver d -> d.to() == 2;
      case History.Tick t -> false;
    };
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<List<History.Op>> historiesBefore() {
    return History.ops(3, 30);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<List<History.Op>> historiesAfter() {
    return History.ops(3, 30);
  }
}
