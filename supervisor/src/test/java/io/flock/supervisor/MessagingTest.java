package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.WireTypes;
import io.flock.registry.Registry;
import io.flock.supervisor.MessageException.Outcome;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17, messaging: tell and ask by exact copy, by child id and by name, with every outcome
 * explicit, under moves and a killed node. The checker is what the children recorded as received.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MessagingTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  record Add(int seq) {}

  record Get() {}

  record AddAndGet(int seq) {}

  record Total(int received, String node) {}

  record Unregistered(int n) {}

  static final WireTypes TYPES =
      WireTypes.builder("messaging-test")
          .add(1100, Add.class)
          .add(1101, Get.class)
          .add(1102, Total.class)
          .add(1103, AddAndGet.class)
          .build();

  /** Per child id, the Add sequence numbers its copies received, in the order received. */
  private final Map<String, Queue<Integer>> received = new ConcurrentHashMap<>();

  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private final List<Registry> registries = new ArrayList<>();
  private TestCluster cluster = TestCluster.start(0);

  private ChildFactory counter() {
    return counter(0);
  }

  /** Records each Add; with {@code slowNanos}, takes that long per message (a backlog forms). */
  private ChildFactory counter(long slowNanos) {
    return spec ->
        ctx -> {
          Queue<Integer> mine =
              received.computeIfAbsent(ctx.id(), k -> new ConcurrentLinkedQueue<>());
          while (!ctx.stopRequested()) {
            Envelope e = ctx.receive(Duration.ofMillis(200));
            if (e == null) {
              continue;
            }
            if (e.message() instanceof Add add) {
              mine.add(add.seq());
              if (slowNanos > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(slowNanos);
              }
            } else if (e.message() instanceof Get) {
              e.reply(new Total(mine.size(), ctx.node()));
            } else if (e.message() instanceof AddAndGet add) {
              mine.add(add.seq());
              if (slowNanos > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(slowNanos);
              }
              e.reply(new Total(mine.size(), ctx.node()));
            }
          }
        };
  }

  private void start(int n, int mailbox) {
    cluster =
        TestCluster.start(
            n,
            b ->
                b.wireTypes(DistributedSupervisor.wireTypes())
                    .wireTypes(Registry.wireTypes())
                    .wireTypes(TYPES));
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    for (int i = 0; i < n; i++) {
      Registry r = Registry.builder("names", cluster.node(i)).start();
      registries.add(r);
      supervisors.add(
          DistributedSupervisor.builder("workers", cluster.node(i))
              .factory("counter", counter())
              .factory("slow", counter(300_000))
              .factory("deaf", spec -> ctx -> Thread.sleep(Long.MAX_VALUE))
              .factory("mute", spec -> ctx -> ctx.receive(Duration.ofDays(1)))
              .mailboxCapacity(mailbox)
              .names(r)
              .start());
    }
  }

  @AfterEach
  void stopAll() {
    supervisors.forEach(DistributedSupervisor::close);
    registries.forEach(Registry::close);
    cluster.close();
  }

  private DistributedSupervisor sup(int i) {
    return supervisors.get(i);
  }

  private static Outcome outcome(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof MessageException m) {
        return m.outcome();
      }
      throw e;
    }
    throw new AssertionError("completed normally");
  }

  /**
   * Two nodes: starts the counter {@code id} and asks it once from the other node (that letter is
   * admitted on the core of the child's node); returns the child's node.
   */
  private int startAndAskOnce(String id) {
    sup(0).startChild(ChildSpec.of(id, "counter")).join();
    int home = nodeOf(id);
    awaitKnown(id, 1 - home);
    sup(1 - home).messenger().ask(id, new Get(), Total.class, Duration.ofSeconds(5)).join();
    return home;
  }

  /** Waits until node {@code via} knows the placement of {@code id}. */
  private void awaitKnown(String id, int via) {
    TestCluster.await(
        WAIT,
        () -> sup(via).whichChildren().join().stream().anyMatch(r -> r.id().equals(id)),
        "n" + via + " knows " + id);
  }

  /** The node index a child runs on, from the replicated placements (as node 0 sees them). */
  private int nodeOf(String id) {
    return nodeOf(id, 0);
  }

  /** The node index a child runs on, as the supervisor of node {@code via} sees it. */
  private int nodeOf(String id, int via) {
    ChildRef ref =
        sup(via).whichChildren().join().stream()
            .filter(r -> r.id().equals(id))
            .findFirst()
            .orElseThrow();
    return Integer.parseInt(ref.node().name().substring(1));
  }

  @Test
  void tellAndAskReachAChildOnAnotherNodeByRefIdAndName() {
    start(3, 1_000);
    ChildRef ref = sup(0).startChild(ChildSpec.of("c1", "counter").withName("the-counter")).join();
    int other = (nodeOf("c1") + 1) % 3;
    Messenger m = sup(other).messenger();
    m.tell(ref, new Add(1)).join();
    m.tell("c1", new Add(2)).join();
    TestCluster.await(WAIT, () -> registries.get(other).lookup("the-counter").isPresent(), "name");
    m.tellNamed("the-counter", new Add(3)).join();
    Total t = m.ask("c1", new Get(), Total.class, Duration.ofSeconds(5)).join();
    assertThat(t.received()).isEqualTo(3);
    assertThat(t.node()).isEqualTo(ref.node().name());
    assertThat(m.askNamed("the-counter", new Get(), Total.class, Duration.ofSeconds(5)).join())
        .isEqualTo(t);
    assertThat(received.get("c1")).containsExactly(1, 2, 3);
  }

  @Test
  void everyFailureIsExplicitAndBadInputThrowsAtTheCall() throws Exception {
    start(2, 2);
    Messenger m = sup(0).messenger();
    assertThat(outcome(m.tell("nobody", new Add(1)))).isEqualTo(Outcome.NO_SUCH_CHILD);
    assertThat(outcome(m.tellNamed("no-name", new Add(1)))).isEqualTo(Outcome.NO_SUCH_CHILD);
    assertThatThrownBy(() -> m.tell("x", new Unregistered(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Unregistered");
    assertThatThrownBy(() -> m.ask("x", new Add(1), Total.class, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("deadline");
    // A child that never reads: the mailbox (2) fills, then OVERLOADED.
    sup(0).startChild(ChildSpec.of("deaf", "deaf")).join();
    m.tell("deaf", new Add(1)).join();
    m.tell("deaf", new Add(2)).join();
    assertThat(outcome(m.tell("deaf", new Add(3)))).isEqualTo(Outcome.OVERLOADED);
    // An ask whose child never answers ends by its deadline.
    sup(0).startChild(ChildSpec.of("mute", "mute")).join();
    long t0 = System.nanoTime();
    assertThat(outcome(m.ask("mute", new Get(), Total.class, Duration.ofMillis(300))))
        .isEqualTo(Outcome.TIMED_OUT);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
  }

  /**
   * A child moves gracefully (its node's supervisor stops and hands it over) while another node
   * tells it a numbered stream: every acknowledged message is received, once, in the order sent; a
   * ref to the old copy is then FENCED.
   */
  @Test
  void messagesFollowAGracefulMoveInOrderAndNoneAcknowledgedIsLost() throws Exception {
    start(3, 10_000);
    ChildRef ref = sup(0).startChild(ChildSpec.of("mover", "slow")).join();
    int home = nodeOf("mover");
    int sender = (home + 1) % 3;
    Messenger m = sup(sender).messenger();
    List<CompletableFuture<Void>> acks = new ArrayList<>();
    int total = 4_000;
    for (int i = 0; i < total; i++) {
      acks.add(m.tell("mover", new Add(i)));
      if (i == total / 4) {
        var unused = sup(home).stop(Duration.ofSeconds(10));
      }
      if (i % 10 == 0) {
        Thread.sleep(1); // at most 10,000 messages a second while it moves
      }
    }
    List<Integer> acknowledged = new ArrayList<>();
    Map<String, Integer> failures = new java.util.TreeMap<>();
    for (int i = 0; i < total; i++) {
      try {
        acks.get(i).get(20, TimeUnit.SECONDS);
        acknowledged.add(i);
      } catch (java.util.concurrent.ExecutionException e) {
        // an explicit failure is allowed; a silent loss is not
        assertThat(e.getCause()).isInstanceOf(MessageException.class);
        failures.merge(String.valueOf(e.getCause()), 1, Integer::sum);
      }
    }
    TestCluster.await(
        WAIT,
        () ->
            received.getOrDefault("mover", new ConcurrentLinkedQueue<>()).containsAll(acknowledged),
        "every acknowledged message received");
    List<Integer> got = new ArrayList<>(received.get("mover"));
    assertThat(got).doesNotHaveDuplicates();
    assertThat(got).isSorted();
    assertThat(acknowledged).as("failures: %s", failures).hasSizeGreaterThan(total * 9 / 10);
    assertThat(nodeOf("mover", sender)).isNotEqualTo(home);
    assertThat(outcome(m.tell(ref, new Add(-1)))).isEqualTo(Outcome.FENCED);
  }

  /**
   * Once a copy was reached through its node's core, letters to it are queued by the network thread
   * that read them: an ask is answered while that node's core is held.
   */
  @Test
  void anAskToARunningCopyIsAnsweredWhileItsNodesCoreIsBusy() throws Exception {
    start(2, 1_000);
    int home = startAndAskOnce("c");
    Messenger m = sup(1 - home).messenger();
    try (AutoCloseable held = cluster.holdCore(home)) {
      Total t = m.ask("c", new Get(), Total.class, Duration.ofSeconds(5)).get(3, TimeUnit.SECONDS);
      assertThat(t.node()).isEqualTo("n" + home);
    }
  }

  /**
   * A sender's tells go to the child's node in a batch, handled on its core; an ask right behind
   * them could be queued at once by the network thread: it must still reach the child after them.
   */
  @Test
  void anAskIsNeverQueuedAheadOfItsSendersEarlierTells() throws Exception {
    start(2, 10_000);
    int home = startAndAskOnce("c");
    Messenger m = sup(1 - home).messenger();
    List<String> overtaken = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      CompletableFuture<Void> tell = m.tell("c", new Add(i));
      Total t = m.ask("c", new Get(), Total.class, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      tell.get(10, TimeUnit.SECONDS);
      if (t.received() < i + 1) {
        overtaken.add("ask " + i + " saw " + t.received());
      }
    }
    assertThat(overtaken).isEmpty();
  }

  /**
   * Asks, queued at the child's node by its network thread, while the child moves gracefully: each
   * is answered or fails explicitly, and the child takes each answered one exactly once, in order
   * (none is queued into a mailbox that is being drained for the move and then lost or taken
   * twice).
   */
  @Test
  void asksFollowAGracefulMoveAndEachAnsweredOneIsTakenOnce() throws Exception {
    start(3, 10_000);
    sup(0).startChild(ChildSpec.of("asked", "slow")).join();
    int home = nodeOf("asked");
    int sender = (home + 1) % 3;
    awaitKnown("asked", sender);
    Messenger m = sup(sender).messenger();
    List<Integer> answered = new ArrayList<>();
    Map<String, Integer> failures = new java.util.TreeMap<>();
    int total = 1_500;
    for (int i = 0; i < total; i++) {
      if (i == total / 4) {
        var unused = sup(home).stop(Duration.ofSeconds(10));
      }
      try {
        Total t =
            m.ask("asked", new AddAndGet(i), Total.class, Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS);
        answered.add(i);
        assertThat(t.received()).isPositive();
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(MessageException.class);
        failures.merge(String.valueOf(e.getCause()), 1, Integer::sum);
      }
    }
    assertThat(failures.keySet()).noneMatch(f -> f.contains("TIMED_OUT")); // none lost on the way
    List<Integer> got = new ArrayList<>(received.get("asked"));
    assertThat(got).doesNotHaveDuplicates();
    assertThat(got).isSorted();
    assertThat(got).containsAll(answered);
    assertThat(answered).as("failures: %s", failures).hasSizeGreaterThan(total * 9 / 10);
    assertThat(nodeOf("asked", sender)).isNotEqualTo(home);
  }

  /** The child's node is killed while asks are in flight: every ask resolves by its deadline. */
  @Test
  void everyAskResolvesByItsDeadlineWhenTheChildsNodeIsKilled() throws Exception {
    start(3, 1_000);
    sup(0).startChild(ChildSpec.of("victim", "counter")).join();
    int home = nodeOf("victim");
    int asker = (home + 1) % 3;
    Messenger m = sup(asker).messenger();
    Duration deadline = Duration.ofMillis(1_500);
    List<CompletableFuture<Total>> asks = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      asks.add(m.ask("victim", new Get(), Total.class, deadline));
      if (i == 50) {
        supervisors.get(home).close();
        cluster.kill(home);
      }
      Thread.sleep(2);
    }
    for (int i = 0; i < asks.size(); i++) {
      CompletableFuture<Total> f = asks.get(i);
      try {
        f.get(deadline.toMillis() + 2_000, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(MessageException.class);
      }
      assertThat(f).isDone();
    }
  }
}
