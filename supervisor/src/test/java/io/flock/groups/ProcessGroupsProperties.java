package io.flock.groups;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.NodeId;
import io.flock.supervisor.ChildInfo;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.ChildState;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterTry;

/**
 * Issue 18: random joins, leaves, child crashes and a partition with its heal on an in-JVM cluster
 * of three. The checker is a model of what the test did (joins counted, a crashed child's or a gone
 * node's memberships dropped), never what the nodes say: after convergence every node's view equals
 * the model, no empty group is listed, and a scope monitor's snapshot with its events replayed
 * equals the view.
 */
class ProcessGroupsProperties {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int NODES = 3;
  private static final List<String> GROUPS = List.of("red", "green", "blue");

  private TestCluster cluster = TestCluster.start(0);
  private final List<DistributedSupervisor> supervisors = new ArrayList<>();
  private final List<ProcessGroups> groups = new ArrayList<>();

  @AfterTry
  void stop() {
    groups.forEach(ProcessGroups::close);
    groups.clear();
    supervisors.forEach(DistributedSupervisor::close);
    supervisors.clear();
    cluster.close();
  }

  @Property(tries = 4)
  void afterConvergenceEveryViewEqualsTheModelAndEveryMonitorReplaysToIt(@ForAll long seed)
      throws Exception {
    try {
      run(seed);
    } catch (AssertionError e) {
      cluster.printStatus();
      throw e;
    }
  }

  private void run(long seed) throws Exception {
    Random random = new Random(seed);
    cluster =
        TestCluster.start(
            NODES,
            b ->
                b.wireTypes(DistributedSupervisor.wireTypes())
                    .wireTypes(ProcessGroups.wireTypes()));
    TestCluster.await(WAIT, cluster::converged, "nodes up");
    for (int i = 0; i < NODES; i++) {
      DistributedSupervisor s =
          DistributedSupervisor.builder("workers", cluster.node(i))
              .strategy(DistributionStrategy.uniform())
              .intensity(1_000, Duration.ofSeconds(1)) // the crashes are the test's, not a storm
              .factory("worker", ProcessGroupsTest.worker(new CopyOnWriteArrayList<>()))
              .start();
      supervisors.add(s);
      groups.add(ProcessGroups.start("pg", cluster.node(i), s));
    }
    for (int i = 0; i < 9; i++) {
      supervisors.get(0).startChild(ChildSpec.of("w" + i, "worker")).join();
    }
    TestCluster.await(WAIT, () -> running().size() == 9, "9 children run");
    ScopeReplay replay = new ScopeReplay();
    GroupMonitor monitor = groups.get(0).monitorScope(replay::apply).join();
    replay.start(monitor.snapshot());
    Map<String, Map<ChildRef, Long>> model = new TreeMap<>();
    List<ChildRef> refs = running();
    boolean partitioned = false;
    for (int step = 0; step < 30; step++) {
      ChildRef ref = refs.get(random.nextInt(refs.size()));
      int node = indexOf(ref.node());
      String group = GROUPS.get(random.nextInt(GROUPS.size()));
      int op = random.nextInt(100);
      if (op < 45) {
        groups.get(node).join(group, ref).join();
        model.computeIfAbsent(group, g -> new HashMap<>()).merge(ref, 1L, Long::sum);
      } else if (op < 75) {
        int left = groups.get(node).leave(group, ref).join();
        Map<ChildRef, Long> g = model.getOrDefault(group, new HashMap<>());
        assertThat(left)
            .as("leave of " + ref + " from " + group)
            .isEqualTo(g.containsKey(ref) ? 1 : 0);
        if (g.containsKey(ref)) {
          g.merge(ref, -1L, (x, y) -> x + y == 0 ? null : x + y);
        }
      } else if (op < 92) {
        int before = incarnation(node, ref.id());
        supervisors.get(node).messenger().tell(ref, "crash").join();
        drop(model, r -> r.equals(ref));
        // The restarted run has the same ref: wait for it, so a later join is the new run's (the
        // old run's leave was queued before the restart).
        TestCluster.await(WAIT, () -> incarnation(node, ref.id()) > before, "restarted");
        TestCluster.await(
            WAIT,
            () -> GROUPS.stream().noneMatch(x -> groups.get(node).localMembers(x).contains(ref)),
            "the crashed run's memberships left");
      } else if (!partitioned) {
        partitioned = true;
        NodeId n2 = cluster.node(2).self();
        cluster.partition(Set.of(2));
        TestCluster.await(
            WAIT,
            () -> TestCluster.onCore(cluster.node(0), () -> cluster.node(0).isGoneNow(n2)),
            "n2 known gone");
        drop(model, r -> r.node().equals(n2));
        cluster.heal();
        TestCluster.await(WAIT, cluster::converged, "healed");
        TestCluster.await(WAIT, () -> running().size() == 9, "9 children run again");
        refs = running();
      }
      model.values().removeIf(Map::isEmpty);
    }
    Map<String, Map<ChildRef, Long>> expected = model;
    for (int i = 0; i < NODES; i++) {
      int n = i;
      try {
        TestCluster.await(
            WAIT, () -> view(groups.get(n).whichGroups(), groups.get(n)).equals(expected), "n" + i);
      } catch (AssertionError e) {
        assertThat(view(groups.get(n).whichGroups(), groups.get(n)))
            .as("n" + i)
            .isEqualTo(expected);
      }
      assertThat(groups.get(n).whichGroups()).as("no empty group").isEqualTo(expected.keySet());
    }
    TestCluster.await(WAIT, () -> replay.view().equals(expected), "the monitor's replay");
  }

  private static void drop(
      Map<String, Map<ChildRef, Long>> model, java.util.function.Predicate<ChildRef> which) {
    model.values().forEach(g -> g.keySet().removeIf(which));
    model.values().removeIf(Map::isEmpty);
  }

  private static Map<String, Map<ChildRef, Long>> view(Set<String> names, ProcessGroups p) {
    Map<String, Map<ChildRef, Long>> out = new TreeMap<>();
    for (String g : names) {
      Map<ChildRef, Long> c = new HashMap<>();
      p.members(g).forEach(r -> c.merge(r, 1L, Long::sum));
      if (!c.isEmpty()) {
        out.put(g, c);
      }
    }
    return out;
  }

  private int indexOf(NodeId node) {
    for (int i = 0; i < NODES; i++) {
      if (cluster.node(i).self().equals(node)) {
        return i;
      }
    }
    throw new AssertionError("no node " + node);
  }

  /** The local incarnation of child {@code id} running on node {@code i} (0 if none). */
  private int incarnation(int i, String id) {
    for (ChildInfo c : supervisors.get(i).localChildren().join()) {
      if (c.id().equals(id) && c.state() == ChildState.RUNNING) {
        return c.incarnation();
      }
    }
    return 0;
  }

  /** Every child running now, as refs of its current copy. */
  private List<ChildRef> running() {
    List<ChildRef> out = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      for (ChildInfo c : supervisors.get(i).localChildren().join()) {
        ChildRef ref = new ChildRef(c.id(), cluster.node(i).self(), c.generation());
        if (c.state() == ChildState.RUNNING && supervisors.get(i).runsHere(ref)) {
          out.add(ref);
        }
      }
    }
    return out;
  }

  /** A scope monitor's snapshot with its events applied in order. */
  static final class ScopeReplay {
    private final Map<String, Map<ChildRef, Long>> view = new TreeMap<>();
    private final List<GroupEvent> early = new ArrayList<>();
    private boolean started;

    synchronized void start(Map<String, List<ChildRef>> snapshot) {
      snapshot.forEach(
          (g, refs) ->
              refs.forEach(
                  r -> view.computeIfAbsent(g, x -> new HashMap<>()).merge(r, 1L, Long::sum)));
      started = true;
      early.forEach(this::applyNow);
      early.clear();
    }

    synchronized void apply(GroupEvent e) {
      if (!started) {
        early.add(e);
        return;
      }
      applyNow(e);
    }

    private void applyNow(GroupEvent e) {
      Map<ChildRef, Long> g = view.computeIfAbsent(e.group(), x -> new HashMap<>());
      for (ChildRef r : e.members()) {
        if (e instanceof GroupEvent.Joined) {
          g.merge(r, 1L, Long::sum);
        } else {
          g.merge(r, -1L, (x, y) -> x + y == 0 ? null : x + y);
        }
      }
      if (g.isEmpty()) {
        view.remove(e.group());
      }
    }

    synchronized Map<String, Map<ChildRef, Long>> view() {
      return new TreeMap<>(view);
    }
  }
}
