package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.testkit.sim.SimCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicatorTest {

  /**
   * Upstream DeltaCrdt issue dc#65: with max_sync_size 200, two nodes writing 1,000 keys each
   * converge to 200 keys. Here the sync is bounded to 200 keys per message and the buffers are too
   * small to carry the writes, so everything goes through the digest sync; nothing is lost.
   */
  @Test
  void boundedSyncKeepsEveryKey_dc65() {
    SimCluster sim = new SimCluster(3, 65, new Replicator.Settings(50, 200, 2, 10), 2);
    sim.partition(java.util.Set.of(0));
    sim.cutLink(1, 2);
    for (int i = 0; i < 1000; i++) {
      sim.putQuietly(0, "a" + i, "x");
      sim.putQuietly(1, "b" + i, "y");
    }
    sim.steps(10);
    sim.heal();
    assertThat(sim.runUntilConverged(5_000)).isNotNegative();
    for (int s = 0; s < 3; s++) {
      assertThat(sim.node(s).map().size()).isEqualTo(2000);
      assertThat(sim.node(s).replicator().bufferedDeltas()).isLessThanOrEqualTo(50);
    }
    assertThat(sim.node(2).replicator().syncsStarted()).isPositive();
  }

  /**
   * The progress counter tells a waiter on {@code holders} or {@code caughtUp} when to look again
   * (the supervisor completes a start on it instead of a 2 ms poll): it grows exactly when an
   * answer may have grown, and stays still while nothing new is acknowledged.
   */
  @Test
  void progressGrowsWhenHoldersOrACatchUpGrowAndOnlyThen() {
    SimCluster sim = new SimCluster(3, 11, Replicator.Settings.defaults(), 2);
    Replicator<String, String> r0 = sim.node(0).replicator();
    sim.put(0, "k", "v");
    long mark = r0.sequence();
    long before = r0.progress();
    assertThat(r0.holders(mark)).isEqualTo(1);
    assertThat(sim.runUntilConverged(1_000)).isNotNegative();
    sim.steps(20);
    assertThat(r0.holders(mark)).isEqualTo(3);
    assertThat(r0.progress()).as("two acknowledgements").isGreaterThan(before);
    long quiet = r0.progress();
    sim.steps(50); // idle rounds acknowledge nothing new
    assertThat(r0.progress()).isEqualTo(quiet);
    long round = sim.catchUp(0);
    sim.steps(50);
    assertThat(r0.caughtUp(round)).isEqualTo(3);
    assertThat(r0.progress()).as("a completed catch-up").isGreaterThan(quiet);
  }

  /**
   * A journal hears every change of a replica's state (local writes, received deltas, digest-sync
   * chunks, adopted contexts): replaying its records onto an empty replica rebuilds the same
   * entries and the same causal context, so a durable scope brought back from disk holds exactly
   * what the replica held, removals included.
   */
  @Test
  void replayingTheJournalRebuildsTheSameStateAndContext() {
    SimCluster sim = new SimCluster(3, 23, new Replicator.Settings(8, 16, 2, 10), 2);
    List<ReplicationMessage<String, String>> records = new ArrayList<>();
    sim.node(2).replicator().journal(records::add);
    for (int i = 0; i < 40; i++) {
      sim.put(0, "k" + i, "v" + i);
      sim.put(2, "own" + i, "w");
    }
    sim.remove(0, "k3");
    sim.remove(2, "own5");
    assertThat(sim.runUntilConverged(2_000)).isNotNegative();
    // Cut off, node 2 misses more than its neighbours' buffers keep: it repairs by digest sync.
    sim.partition(java.util.Set.of(2));
    for (int i = 0; i < 60; i++) {
      sim.putQuietly(1, "late" + i, "x");
    }
    sim.remove(1, "k4");
    sim.steps(10);
    sim.heal();
    assertThat(sim.runUntilConverged(5_000)).isNotNegative();
    sim.steps(30);
    assertThat(records)
        .anyMatch(r -> r instanceof ReplicationMessage.SyncChunk<?, ?>)
        .anyMatch(r -> r instanceof ReplicationMessage.DeltaInterval<?, ?>);

    AWLWWMap<String, String> original = sim.node(2).map();
    AWLWWMap<String, String> rebuilt =
        new AWLWWMap<>(new ReplicaId("n2", 99), new Hlc(System::currentTimeMillis));
    for (ReplicationMessage<String, String> r : records) {
      var unused = Replicator.replay(rebuilt, r);
    }
    assertThat(rebuilt.snapshot())
        .isEqualTo(original.snapshot())
        .doesNotContainKeys("k3", "k4", "own5");
    assertThat(rebuilt.rootDigest()).isEqualTo(original.rootDigest());
    assertThat(rebuilt.context()).isEqualTo(original.context());
  }

  /** Keys that all fall into one digest bucket, more than one chunk can carry. */
  @Test
  void oversizedBucketIsSplitByHashRange() {
    List<String> sameBucket = new ArrayList<>();
    for (int i = 0; sameBucket.size() < 50; i++) {
      String k = "key-" + i;
      if (AWLWWMap.bucketOf(k) == 7) {
        sameBucket.add(k);
      }
    }
    SimCluster sim = new SimCluster(2, 7, new Replicator.Settings(5, 4, 2, 10), 2);
    sim.partition(java.util.Set.of(0));
    for (String k : sameBucket) {
      sim.putQuietly(0, k, "v");
    }
    sim.steps(6);
    sim.remove(1, "absent"); // a no-op
    sim.heal();
    assertThat(sim.runUntilConverged(2_000)).isNotNegative();
    assertThat(sim.node(1).map().snapshot().keySet())
        .containsExactlyInAnyOrderElementsOf(sameBucket);
  }

  /**
   * A replica that restarts empty catches up fully. Traffic is bounded by a small multiple of the
   * state's own wire size (bucket digests resend whole buckets; see the benchmark for numbers).
   */
  @Test
  void restartedReplicaCatchesUpFully() {
    SimCluster sim = new SimCluster(3, 1, Replicator.Settings.defaults(), 3);
    for (int i = 0; i < 5_000; i++) {
      sim.putQuietly(i % 3, "key-" + i, "value-" + i);
    }
    assertThat(sim.runUntilConverged(1_000)).isNotNegative();
    sim.crashRestart(2);
    long before = sim.bytes();
    assertThat(sim.runUntilConverged(1_000)).isNotNegative();
    assertThat(sim.node(2).map().snapshot()).isEqualTo(sim.node(0).map().snapshot());
    long catchUp = sim.bytes() - before;
    com.esotericsoftware.kryo.io.Output out = new com.esotericsoftware.kryo.io.Output(1024, -1);
    SimCluster.newKryo().writeObject(out, sim.node(0).map().state());
    assertThat(catchUp).as("catch-up bytes vs one full state").isLessThan(3L * out.total());
  }

  /** Only writes that never left a crashed node are lost; everything else survives. */
  @Test
  void crashLosesOnlyWritesThatNeverLeftTheNode() {
    SimCluster sim = new SimCluster(3, 9, Replicator.Settings.defaults(), 3);
    sim.put(0, "sent", "1");
    sim.remove(1, "nothing");
    assertThat(sim.runUntilConverged(100)).isNotNegative();
    sim.partition(java.util.Set.of(0));
    sim.put(0, "unsent", "2");
    sim.put(1, "other", "3");
    sim.crashRestart(0);
    sim.heal();
    assertThat(sim.runUntilConverged(1_000)).isNotNegative();
    for (int s = 0; s < 3; s++) {
      assertThat(sim.node(s).map().snapshot()).isEqualTo(Map.of("sent", "1", "other", "3"));
    }
  }

  @Test
  void idleRoundsSendOnlySmallStatusMessages() {
    SimCluster sim = new SimCluster(3, 2, Replicator.Settings.defaults(), 3);
    for (int i = 0; i < 2_000; i++) {
      sim.putQuietly(i % 3, "key-" + i, "v");
    }
    assertThat(sim.runUntilConverged(1_000)).isNotNegative();
    sim.steps(30);
    Map<String, Long> before = Map.copyOf(sim.bytesByType());
    long bytesBefore = sim.bytes();
    long messagesBefore = sim.messages();
    int rounds = 2 * Replicator.Settings.defaults().quietStatusTicks();
    sim.steps(rounds * sim.tickEvery);
    for (var e : sim.bytesByType().entrySet()) {
      if (!e.getKey().equals("Status")) {
        assertThat(e.getValue()).as(e.getKey()).isEqualTo(before.get(e.getKey()));
      }
    }
    // In step with every neighbour: a status every quietStatusTicks rounds (2 in these), each
    // small.
    long statuses = rounds / Replicator.Settings.defaults().quietStatusTicks() * 3L * 2L;
    assertThat(sim.messages() - messagesBefore).isEqualTo(statuses);
    assertThat((sim.bytes() - bytesBefore) / statuses).isLessThan(100);
  }

  @Test
  void malformedMessageIsRefusedAndChangesNothing() {
    SimCluster sim = new SimCluster(2, 3, Replicator.Settings.defaults(), 3);
    sim.put(0, "k", "v");
    assertThat(sim.runUntilConverged(100)).isNotNegative();
    AWLWWMap<String, String> target = sim.node(1).map();
    Delta<String, String> before = target.state();
    ReplicaId self = target.replica();
    Delta<String, String> forged =
        Delta.of(
            Map.of("k", List.of(new Dotted<>(self, 42, 1, "forged"))),
            CausalContext.ofDots(new Dot(self, 42)),
            false);
    assertThatThrownBy(
            () ->
                sim.node(1)
                    .replicator()
                    .receive(
                        sim.node(0).id(), new ReplicationMessage.DeltaInterval<>(0, 1, forged)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(target.state()).isEqualTo(before);
  }

  @Test
  void messagesFromStrangersAndRetiredIncarnationsAreDropped() {
    SimCluster sim = new SimCluster(2, 4, Replicator.Settings.defaults(), 3);
    AWLWWMap<String, String> stranger =
        new AWLWWMap<>(new ReplicaId("stranger", 1), new Hlc(() -> 1));
    Delta<String, String> d = stranger.put("k", "v");
    var result =
        sim.node(0)
            .replicator()
            .receive(stranger.replica(), new ReplicationMessage.DeltaInterval<>(0, 1, d));
    assertThat(result.changes()).isEmpty();
    assertThat(sim.node(0).map().containsKey("k")).isFalse();

    ReplicaId oldN1 = sim.node(1).id();
    sim.crashRestart(1);
    result =
        sim.node(0).replicator().receive(oldN1, new ReplicationMessage.DeltaInterval<>(0, 1, d));
    assertThat(result.replies()).isEmpty();
  }

  /**
   * Found by the process-groups benchmark (100,000 joins over 3 nodes): gossip rounds of up to 800
   * ms on the core, spent joining again every delta a neighbour had not acknowledged yet, to send
   * it all again every other tick while that neighbour was still working through the burst (its
   * acknowledgements growing each tick). A neighbour that acknowledges more each tick is sent
   * nothing again; one that acknowledges nothing for two ticks is sent again a bounded part, from
   * the first delta it lacks.
   */
  @Test
  void aNeighbourWorkingThroughABurstIsNotSentItAgain() {
    Replicator.Settings settings = new Replicator.Settings(100_000, 100, 3, 10);
    AWLWWMap<String, String> ma = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 1));
    AWLWWMap<String, String> mb = new AWLWWMap<>(new ReplicaId("b", 1), new Hlc(() -> 1));
    Replicator<String, String> a = new Replicator<>(ma, settings);
    Replicator<String, String> b = new Replicator<>(mb, settings);
    a.setNeighbours(List.of(b.self()));
    b.setNeighbours(List.of(a.self()));
    for (int i = 0; i < 5_000; i++) {
      a.recordLocal(ma.put("k" + i, "v"));
    }
    List<Replicator.Outgoing<String, String>> inFlight = new ArrayList<>(a.flush());
    assertThat(inFlight).hasSize(50); // 5,000 deltas in intervals of 100
    // b works through the burst: five intervals per tick, each acknowledged at once.
    while (!inFlight.isEmpty()) {
      for (int i = 0; i < 5 && !inFlight.isEmpty(); i++) {
        for (Replicator.Outgoing<String, String> ack :
            b.receive(a.self(), inFlight.remove(0).message()).replies()) {
          if (ack.message() instanceof ReplicationMessage.Ack<String, String>) {
            var unused = a.receive(b.self(), ack.message());
          }
        }
      }
      assertThat(intervals(a.tick()))
          .as("deltas sent again to a neighbour that acknowledged more this tick")
          .isZero();
    }
    assertThat(a.lag(b.self())).isZero();
    // Now b hears nothing: 5,000 more deltas are lost on the way.
    for (int i = 0; i < 5_000; i++) {
      a.recordLocal(ma.put("l" + i, "v"));
    }
    assertThat(intervals(a.flush())).as("sent, and lost on the way").isEqualTo(50);
    assertThat(intervals(a.tick())).as("one tick without an acknowledgement").isZero();
    List<Replicator.Outgoing<String, String>> again = a.tick();
    assertThat(intervals(again)).as("two ticks: a bounded part again").isEqualTo(8);
    assertThat(((ReplicationMessage.DeltaInterval<String, String>) again.get(0).message()).start())
        .isEqualTo(5_000);
  }

  private static long intervals(List<Replicator.Outgoing<String, String>> out) {
    return out.stream()
        .filter(o -> o.message() instanceof ReplicationMessage.DeltaInterval<String, String>)
        .count();
  }

  @Test
  void settingsNameTheBadParameter() {
    assertThatThrownBy(() -> new Replicator.Settings(0, 1, 1, 1))
        .hasMessageContaining("maxBufferedDeltas");
    assertThatThrownBy(() -> new Replicator.Settings(1, 0, 1, 1))
        .hasMessageContaining("maxSyncEntries");
  }

  private static Replicator<String, String> replicator(
      String node,
      java.util.function.@org.jspecify.annotations.Nullable Function<String, String> owner) {
    Replicator<String, String> r =
        new Replicator<>(
            new AWLWWMap<>(new ReplicaId(node, 1), new Hlc(() -> 1)),
            Replicator.Settings.defaults(),
            owner);
    r.setNeighbours(List.of(new ReplicaId("a", 1), new ReplicaId("b", 1), new ReplicaId("c", 1)));
    return r;
  }

  /**
   * Wire hardening, finding 3: deltas carrying dots of a third replica were accepted. A delta
   * interval carries only its sender's own writes; anything else is refused whole.
   */
  @Test
  void aDeltaIntervalCarryingAThirdReplicasWriteIsRefused() {
    AWLWWMap<String, String> forger = new AWLWWMap<>(new ReplicaId("c", 1), new Hlc(() -> 1));
    Delta<String, String> forged = forger.put("k", "forged"); // a write of c...
    Replicator<String, String> victim = replicator("b", null);
    var interval = new ReplicationMessage.DeltaInterval<>(0, 1, forged);
    // ... sent by a
    assertThatThrownBy(() -> victim.receive(new ReplicaId("a", 1), interval))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("carries a write of");
    assertThat(victim.map().get("k")).isNull();
    assertThat(victim.receive(new ReplicaId("c", 1), interval).changes()).hasSize(1);
  }

  /** Wire hardening, finding 3: a member wrote another member's record; keys have owners now. */
  @Test
  void aKeyOwnedScopeRefusesAnEntryNotWrittenByTheKeysOwner() {
    AWLWWMap<String, String> a = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 1));
    Replicator<String, String> victim = replicator("b", k -> k);
    var forged = new ReplicationMessage.DeltaInterval<>(0, 1, a.put("c", "LEFT"));
    assertThatThrownBy(() -> victim.receive(new ReplicaId("a", 1), forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not its owner");
    assertThat(victim.map().get("c")).isNull();
    var own = new ReplicationMessage.DeltaInterval<>(1, 2, a.put("a", "UP"));
    assertThat(victim.receive(new ReplicaId("a", 1), own).changes()).hasSize(1);
  }
}
