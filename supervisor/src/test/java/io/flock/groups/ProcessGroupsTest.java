package io.flock.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.NodeId;
import io.flock.supervisor.ChildFactory;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.supervisor.Envelope;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Process groups on in-JVM clusters: pg's semantics, and the OTP bugs as regression tests. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessGroupsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private TestCluster cluster = TestCluster.start(0);
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private final List<ProcessGroups> groups = new ArrayList<>();

  /** What the children received: "child-id <- message". */
  private final List<String> received = new CopyOnWriteArrayList<>();

  private void start(int n) {
    cluster =
        TestCluster.start(
            n,
            b ->
                b.wireTypes(DistributedSupervisor.wireTypes())
                    .wireTypes(ProcessGroups.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, n + " nodes up");
    for (int i = 0; i < n; i++) {
      DistributedSupervisor s =
          DistributedSupervisor.builder("workers", cluster.node(i))
              .strategy(DistributionStrategy.uniform())
              .factory("worker", worker(received))
              .start();
      supervisors.add(s);
      groups.add(ProcessGroups.start("pg", cluster.node(i), s));
    }
  }

  /**
   * A child that records what it receives in {@code received} ("id <- message") and crashes when
   * told "crash".
   */
  static ChildFactory worker(List<String> received) {
    return spec ->
        ctx -> {
          while (true) {
            Envelope e = ctx.receive(Duration.ofSeconds(1));
            if (e == null) {
              continue;
            }
            received.add(ctx.id() + " <- " + e.message());
            if ("crash".equals(e.message())) {
              throw new IllegalStateException("asked to crash");
            }
          }
        };
  }

  @AfterEach
  void stop() {
    groups.forEach(ProcessGroups::close);
    supervisors.forEach(DistributedSupervisor::close);
    cluster.close();
  }

  /** A child running on node {@code i} (started there by placement until one lands on it). */
  private ChildRef childOn(int i, String prefix) {
    for (int k = 0; ; k++) {
      ChildRef r = supervisors.get(i).startChild(ChildSpec.of(prefix + k, "worker")).join();
      if (r.node().equals(cluster.node(i).self())) {
        return r;
      }
    }
  }

  private boolean everyNodeSees(String group, Collection<ChildRef> expected) {
    Map<ChildRef, Long> want = counts(expected);
    for (int i = 0; i < groups.size(); i++) {
      if (!counts(groups.get(i).members(group)).equals(want)) {
        return false;
      }
    }
    return true;
  }

  private static Map<ChildRef, Long> counts(Collection<ChildRef> refs) {
    Map<ChildRef, Long> out = new HashMap<>();
    refs.forEach(r -> out.merge(r, 1L, Long::sum));
    return out;
  }

  @Test
  void aChildJoinsAsOftenAsItJoinedLeavesOnceAtATimeAndAnEmptyGroupIsNotListed() {
    start(3);
    ChildRef a = childOn(0, "a-");
    ChildRef b = childOn(1, "b-");
    groups.get(0).join("g", a, a).join();
    groups.get(1).join("g", b).join();
    assertThat(groups.get(0).localMembers("g")).as("read your joins").containsExactly(a, a);
    TestCluster.await(WAIT, () -> everyNodeSees("g", List.of(a, a, b)), "everywhere");
    assertThat(groups.get(0).localMembers("g")).containsExactly(a, a);
    assertThat(groups.get(2).whichGroups()).containsExactly("g");
    assertThat(groups.get(2).whichLocalGroups()).isEmpty();
    assertThat(groups.get(0).leave("g", a).join()).isEqualTo(1);
    assertThat(groups.get(0).leave("other", a).join()).as("not a member: harmless").isZero();
    assertThat(groups.get(0).leave("g", b).join()).as("not this node's child").isZero();
    TestCluster.await(WAIT, () -> everyNodeSees("g", List.of(a, b)), "one join of a left");
    groups.get(0).leave("g", a).join();
    groups.get(1).leave("g", b).join();
    TestCluster.await(
        WAIT,
        () -> groups.stream().allMatch(p -> p.whichGroups().isEmpty()),
        "an empty group is listed nowhere");
  }

  @Test
  @SuppressWarnings("NullAway") // passes null on purpose
  void onlyAChildRunningOnThisNodeMayJoinAndBadArgumentsNameTheParameter() {
    start(2);
    ChildRef b = childOn(1, "b-");
    assertThatThrownBy(() -> groups.get(0).join("g", b))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refs");
    ChildRef stale = new ChildRef(b.id(), b.node(), b.generation() + 7);
    assertThatThrownBy(() -> groups.get(1).join("g", stale))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refs");
    assertThatThrownBy(() -> groups.get(1).join("", b))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("group");
    assertThatThrownBy(() -> groups.get(1).join(null, b))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("group");
    assertThat(groups.get(1).whichGroups()).as("nothing changed").isEmpty();
  }

  /**
   * OTP PR #2866: pids that had left were kept in the scope's state. Here a member that joined
   * twice and left twice, and one whose child crashed, are gone from every node's view and from the
   * replicated scope; the restarted child is not a member until it joins again.
   */
  @Test
  void membersThatLeftOrWhoseChildCrashedOrEndedAreKeptNowhere() {
    start(3);
    ChildRef a = childOn(0, "a-");
    ChildRef c = childOn(1, "c-");
    ChildRef t = childOn(2, "t-");
    groups.get(0).join("g", a, a).join();
    groups.get(1).join("g", c).join();
    groups.get(2).join("h", t).join();
    TestCluster.await(WAIT, () -> everyNodeSees("g", List.of(a, a, c)), "joined");
    groups.get(0).leave("g", a, a).join();
    supervisors.get(0).messenger().tell(c, "crash").join(); // its run ends; it restarts
    supervisors.get(1).terminateChild(t.id()).join();
    TestCluster.await(
        WAIT,
        () ->
            groups.stream().allMatch(p -> p.whichGroups().isEmpty())
                && groups.stream().allMatch(p -> p.entriesNow() == 0),
        "nothing kept anywhere");
    assertThat(received).contains(c.id() + " <- crash");
  }

  /**
   * OTP #11360: phantom empty groups after a remote node crashes. The members of a killed node
   * leave every other node's view once it is known gone, and its groups are not listed.
   */
  @Test
  void theGroupsOfAKilledNodeAreNotListedOnceItIsKnownGone() {
    start(3);
    ChildRef x = childOn(2, "x-");
    ChildRef a = childOn(0, "a-");
    groups.get(2).join("only-n2", x).join();
    groups.get(2).join("shared", x).join();
    groups.get(0).join("shared", a).join();
    TestCluster.await(WAIT, () -> everyNodeSees("shared", List.of(x, a)), "joined");
    NodeId n2 = cluster.node(2).self();
    cluster.cut(2, 0); // a crash: nothing it says on the way out reaches the others
    cluster.cut(2, 1);
    cluster.kill(2);
    TestCluster.await(
        WAIT,
        () ->
            groups.get(0).whichGroups().equals(Set.of("shared"))
                && groups.get(1).whichGroups().equals(Set.of("shared"))
                && groups.get(0).members("shared").stream().noneMatch(r -> r.node().equals(n2))
                && groups.get(1).members("shared").stream().noneMatch(r -> r.node().equals(n2)),
        "only the live member is left, no phantom group");
  }

  /**
   * OTP PR #2557: a race between a node going down and its members leaving. A node leaves a group
   * and is killed at once; the others end with no member of it and no error.
   */
  @Test
  void aLeaveRacingTheNodesDeathLeavesNoMemberOfIt() {
    start(3);
    List<ChildRef> xs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      xs.add(childOn(2, "x" + i + "-"));
    }
    groups.get(2).join("g", xs.toArray(new ChildRef[0])).join();
    TestCluster.await(WAIT, () -> everyNodeSees("g", xs), "joined");
    var unused = groups.get(2).leave("g", xs.get(0), xs.get(1));
    cluster.cut(2, 0); // the leave may or may not have left the node before it died
    cluster.cut(2, 1);
    cluster.kill(2);
    TestCluster.await(
        WAIT,
        () -> groups.get(0).whichGroups().isEmpty() && groups.get(1).whichGroups().isEmpty(),
        "no member of the dead node");
  }

  /**
   * OTP #7625 / #7754: a process that monitored and joined at once crashed the scope. Here many
   * threads monitor and join at once; every monitor's snapshot plus its events equals the final
   * view, with no gap and no duplicate.
   */
  @Test
  void monitorsTakenWhileOthersJoinSeeNoGapAndNoDuplicate() throws Exception {
    start(2);
    List<ChildRef> refs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      refs.add(childOn(i % 2, "m" + i + "-"));
    }
    List<Replay> replays = new CopyOnWriteArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<?>> all = new ArrayList<>();
      for (ChildRef r : refs) {
        int node = r.node().equals(cluster.node(0).self()) ? 0 : 1;
        all.add(
            CompletableFuture.runAsync(
                () -> {
                  Replay replay = new Replay();
                  GroupMonitor m = groups.get(1 - node).monitor("g", replay::apply).join();
                  replay.start(m.snapshot().getOrDefault("g", List.of()));
                  replays.add(replay);
                  groups.get(node).join("g", r).join();
                },
                pool));
      }
      CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    TestCluster.await(WAIT, () -> everyNodeSees("g", refs), "all joined");
    for (Replay r : replays) {
      TestCluster.await(WAIT, () -> r.view().equals(counts(refs)), "a replay equals the view");
    }
  }

  /** Snapshot, then events applied in order; any thread reads the view. */
  static final class Replay {
    private final Map<ChildRef, Long> view = new HashMap<>();
    private final List<GroupEvent> early = new ArrayList<>();
    private boolean started;

    synchronized void start(List<ChildRef> snapshot) {
      snapshot.forEach(r -> view.merge(r, 1L, Long::sum));
      started = true;
      early.forEach(this::applyNow);
      early.clear();
    }

    synchronized void apply(GroupEvent e) {
      if (!started) {
        early.add(e); // the event came before the caller read the snapshot: it is still after it
        return;
      }
      applyNow(e);
    }

    private void applyNow(GroupEvent e) {
      for (ChildRef r : e.members()) {
        if (e instanceof GroupEvent.Joined) {
          view.merge(r, 1L, Long::sum);
        } else {
          view.merge(r, -1L, (x, y) -> x + y == 0 ? null : x + y);
        }
      }
    }

    synchronized Map<ChildRef, Long> view() {
      return new HashMap<>(view);
    }
  }

  @Test
  void membersOfAStalledNodeStayListedAndNothingRejoinsAfterIt() {
    start(3);
    ChildRef x = childOn(2, "x-");
    groups.get(2).join("g", x).join();
    TestCluster.await(WAIT, () -> everyNodeSees("g", List.of(x)), "joined");
    cluster.pause(2, Duration.ofMillis(900)); // unreachable for a moment, never down
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1200);
    while (System.nanoTime() < until) {
      assertThat(groups.get(0).members("g")).containsExactly(x);
    }
    TestCluster.await(WAIT, () -> everyNodeSees("g", List.of(x)), "still a member after it");
  }

  @Test
  void aBroadcastReachesEveryMemberAsOftenAsItJoinedWithAnOutcomeEach() {
    start(3);
    ChildRef a = childOn(0, "a-");
    ChildRef b = childOn(1, "b-");
    groups.get(0).join("g", a, a).join();
    groups.get(1).join("g", b).join();
    TestCluster.await(WAIT, () -> everyNodeSees("g", List.of(a, a, b)), "joined");
    List<Delivery> out = groups.get(2).broadcast("g", "hello").join();
    assertThat(out).extracting(Delivery::member).containsExactlyInAnyOrder(a, a, b);
    assertThat(out).allMatch(Delivery::delivered);
    TestCluster.await(
        WAIT,
        () ->
            received.stream().filter(s -> s.equals(a.id() + " <- hello")).count() == 2
                && received.contains(b.id() + " <- hello"),
        "received");
    assertThatThrownBy(() -> groups.get(2).broadcast("g", new Object()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
