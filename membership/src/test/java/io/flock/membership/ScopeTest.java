package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.crdt.Change;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScopeTest {
  static {
    NettyLeaks.install();
  }

  /** A scope used on one node only still settles: the others hold and acknowledge it. */
  @Test
  void scopeUsedOnOneNodeIsAcknowledgedAndGoesQuiet() throws Exception {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      Scope<String, String> s = c.node(0).scope("only-here");
      for (int i = 0; i < 500; i++) {
        s.put("k" + i, "v").join();
      }
      Thread.sleep(2_000);
      long before = c.node(0).bytesSent();
      Thread.sleep(2_000);
      long perSecond = (c.node(0).bytesSent() - before) / 2;
      // Idle: heartbeats and a few small statuses per scope and peer, no re-sent intervals.
      assertThat(perSecond).isLessThan(5_000);
      Scope<String, String> late = c.node(2).scope("only-here");
      assertThat(late.get("k499").join()).isEqualTo("v");
    }
  }

  private static int holders(Cluster node, Scope<String, String> s) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
            () -> s.holdersNow(s.writeMarkNow()), node.onCore())
        .join();
  }

  /**
   * A node that wrote nothing to a scope: every neighbour holds all of its writes (none). It
   * counted only itself, so a graceful hand-over that had nothing to write waited out its whole
   * deadline and never said its supervisor had stopped.
   */
  @Test
  void aMarkBeforeAnyWriteIsHeldByEveryNeighbour() {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      for (int i = 0; i < 3; i++) {
        var unused = c.node(i).scope("quiet");
      }
      Scope<String, String> s0 = c.node(0).scope("quiet");
      var unusedWrite = c.node(1).scope("quiet").put("k", "by n1").join();
      TestCluster.await(
          Duration.ofSeconds(10),
          () -> holders(c.node(0), s0) == 3,
          "n0's (no) writes held by all three");
      s0.put("k2", "by n0").join();
      TestCluster.await(
          Duration.ofSeconds(10),
          () -> holders(c.node(0), s0) == 3,
          "n0's write held by all three");
    }
  }

  /**
   * A scope with a conflict order: concurrent writes of one key resolve by the order, not by the
   * clock, on every node, also on one that first saw the scope in a message and asked for the order
   * later; asking for it with another order fails.
   */
  @Test
  void aConflictOrderDecidesConcurrentWritesOnEveryNode() {
    java.util.Comparator<String> byLength = java.util.Comparator.comparingInt(String::length);
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      Scope<String, String> s0 = c.node(0).scope("ordered", byLength);
      s0.put("warm", "up").join();
      TestCluster.await(
          Duration.ofSeconds(10),
          () ->
              c.node(2).status().join().scopes().stream().anyMatch(x -> x.name().equals("ordered")),
          "node 2 made the scope from a message");
      Scope<String, String> s1 = c.node(1).scope("ordered", byLength);
      Scope<String, String> s2 = c.node(2).scope("ordered", byLength);
      c.partition(java.util.Set.of(1));
      s1.put("k", "long-value").join(); // earlier, but greater by the order
      s0.put("k", "short").join();
      c.heal();
      TestCluster.await(
          Duration.ofSeconds(20),
          () ->
              "long-value".equals(s0.get("k").join())
                  && "long-value".equals(s1.get("k").join())
                  && "long-value".equals(s2.get("k").join()),
          "the greater value wins everywhere");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.node(2).scope("ordered"))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  /**
   * Wire hardening, finding 2: 1,000 puts of 20 KB values left the other node with 0 of 1,000 keys
   * 15 s later (an interval larger than a frame, refused again and again). Intervals and sync
   * chunks are bounded in bytes now: the burst reaches a running node, and a node that joins later
   * catches up by digest sync.
   */
  @Test
  void aBurstOfLargeValuesReplicatesAndALateNodeCatchesUp() {
    String big = "x".repeat(20_000);
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      Scope<String, String> s0 = c.node(0).scope("large");
      Scope<String, String> s1 = c.node(1).scope("large");
      c.node(0)
          .runtime()
          .call(
              () -> {
                for (int i = 0; i < 1_000; i++) {
                  var unused = s0.putNow("k" + i, big + i);
                }
                return null;
              })
          .join();
      TestCluster.await(
          Duration.ofSeconds(30),
          () -> s1.snapshot().join().size() == 1_000,
          "node 1 holds all 1,000 large values");
      Cluster late = c.add();
      Scope<String, String> s2 = late.scope("large");
      TestCluster.await(
          Duration.ofSeconds(60),
          () -> s2.snapshot().join().size() == 1_000,
          "a node that joined later holds them too");
      assertThat(s2.get("k999").join()).isEqualTo(big + 999);
    }
  }

  /** Wire hardening, finding 2: a value over the maximum is refused before anything is written. */
  @Test
  void aValueOverTheMaximumIsRefusedWithAClearErrorAndNothingChanges() {
    try (TestCluster c = TestCluster.start(2, b -> b.maxValueBytes(64 * 1024))) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      Scope<String, String> s0 = c.node(0).scope("limited");
      s0.put("k", "small").join();
      String under = "u".repeat(60 * 1024);
      s0.put("k", under).join();
      String over = "o".repeat(70 * 1024);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> s0.put("k", over).join())
          .hasRootCauseInstanceOf(com.esotericsoftware.kryo.io.KryoBufferOverflowException.class)
          .hasMessageContaining("maximum value size of 65536 bytes");
      assertThat(s0.get("k").join()).isEqualTo(under);
      Scope<String, String> s1 = c.node(1).scope("limited");
      TestCluster.await(
          Duration.ofSeconds(10), () -> under.equals(s1.get("k").join()), "the last good value");
    }
  }

  /**
   * {@code removeIfNow} takes only the entries it is asked to: a concurrent write of another value,
   * hidden behind the removed one by the conflict order, becomes visible on every node.
   */
  @Test
  void removeIfNowTakesOnlyTheMatchingEntryAndTheConcurrentOneSurfacesEverywhere() {
    java.util.Comparator<String> byLength = java.util.Comparator.comparingInt(String::length);
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      List<Scope<String, String>> s = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        s.add(c.node(i).scope("targeted", byLength));
      }
      c.partition(java.util.Set.of(1));
      s.get(1).put("k", "longer-one").join(); // wins the order when both are seen
      s.get(0).put("k", "short").join();
      c.heal();
      TestCluster.await(
          Duration.ofSeconds(20),
          () -> s.stream().allMatch(x -> "longer-one".equals(x.get("k").join())),
          "the longer write is visible everywhere");
      var removed =
          java.util.concurrent.CompletableFuture.supplyAsync(
                  () -> s.get(2).removeIfNow("k", "longer-one"::equals), c.node(2).onCore())
              .join();
      assertThat(removed).containsExactly(new Change.Updated<>("k", "longer-one", "short"));
      TestCluster.await(
          Duration.ofSeconds(20),
          () -> s.stream().allMatch(x -> "short".equals(x.get("k").join())),
          "the concurrent write surfaces everywhere");
    }
  }
}
