package io.flock.testkit;

import static java.util.Objects.requireNonNull;

import io.flock.membership.Cluster;
import io.flock.membership.ClusterBuilder;
import io.flock.membership.ClusterEvent;
import io.flock.membership.Member;
import io.flock.membership.MemberStatus;
import io.flock.membership.internal.transport.TransportSeam;
import io.flock.membership.storage.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An in-JVM cluster on 127.0.0.1 ephemeral ports for tests (artifact {@code flock-testkit}): start
 * N nodes, kill one abruptly, stop one gracefully, restart one under the same name, partition
 * groups and heal, cut one direction of a link, black-hole a connection (a half-open TCP
 * connection), cut one scope's replication, pause a node's core thread, and await conditions with
 * timeouts. The faults act inside each node's transport, so the code under test is the real one.
 * {@link #close()} always stops everything, and {@link #run} prints every node's status when the
 * body fails.
 *
 * <pre>{@code
 * try (TestCluster c = TestCluster.start(3, b -> b.wireTypes(DistributedSupervisor.wireTypes()))) {
 *   TestCluster.await(Duration.ofSeconds(20), c::converged, "3 nodes up");
 *   c.partition(Set.of(0));           // node 0 alone, both ways
 *   c.heal();
 * }
 * }</pre>
 *
 * <p>Threading: the fault methods may be called from any thread; a node's own calls keep the
 * threading of {@link Cluster}. Nodes are named {@code n0..}; {@link #node} is null-free for a slot
 * that was started. Errors: a failed {@link #await} throws {@link AssertionError}.
 */
public final class TestCluster implements AutoCloseable {
  private static final byte[] SECRET =
      "in-jvm test cluster secret".getBytes(StandardCharsets.UTF_8);

  /** The shared secret of every node this class starts (a copy), for a node started by hand. */
  public static byte[] secret() {
    return SECRET.clone();
  }

  private final List<@Nullable Cluster> nodes = new ArrayList<>();
  private final Set<String> cuts = ConcurrentHashMap.newKeySet();
  private final Set<String> holes = ConcurrentHashMap.newKeySet();
  private final Set<String> scopeCuts = ConcurrentHashMap.newKeySet();
  private final Consumer<ClusterBuilder> customizer;
  private final List<List<ClusterEvent>> events = new ArrayList<>();

  private final @Nullable Path storageRoot;

  private TestCluster(Consumer<ClusterBuilder> customizer, @Nullable Path storageRoot) {
    this.customizer = customizer;
    this.storageRoot = storageRoot;
  }

  /** Starts {@code n} nodes named n0..n{n-1}; n0 is everyone's seed. */
  public static TestCluster start(int n) {
    return start(n, b -> {});
  }

  /** Starts {@code n} nodes, each builder passed through {@code customizer} first. */
  public static TestCluster start(int n, Consumer<ClusterBuilder> customizer) {
    return start(n, null, customizer);
  }

  /**
   * Starts {@code n} nodes that keep durable scopes on disk: node {@code i} in {@code
   * storageRoot/n<i>} with the default {@link Storage#files}, in every incarnation, so a node
   * restarted (or the whole cluster, by killing and restarting every slot) reads what it kept.
   */
  public static TestCluster start(
      int n, @Nullable Path storageRoot, Consumer<ClusterBuilder> customizer) {
    TestCluster c = new TestCluster(customizer, storageRoot);
    try {
      for (int i = 0; i < n; i++) {
        c.nodes.add(null);
        c.events.add(new CopyOnWriteArrayList<>());
        c.boot(i, 1);
      }
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Runs {@code body} on a new cluster of {@code n} nodes, always closing it. */
  public static void run(int n, Consumer<TestCluster> body) {
    try (TestCluster c = start(n)) {
      try {
        body.accept(c);
      } catch (RuntimeException | AssertionError e) {
        c.printStatus();
        throw e;
      }
    }
  }

  private Cluster boot(int i, long incarnation) {
    List<String> seeds = new ArrayList<>();
    for (Cluster other : nodes) {
      if (other != null && !other.isClosed()) {
        seeds.add(other.self().address());
      }
    }
    List<ClusterEvent> log = events.get(i);
    ClusterBuilder b =
        Cluster.builder("test", "n" + i)
            .secret(SECRET)
            .bind("127.0.0.1", 0)
            .incarnation(incarnation)
            .seeds(seeds)
            .listener(log::add);
    TransportSeam.decorate(
        b,
        t ->
            new FaultyTransport(t, (from, to) -> cuts.contains(from + "|" + to), holes, scopeCuts));
    Path root = storageRoot;
    if (root != null) {
      try {
        b.storage(Storage.files(root.resolve("n" + i)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    customizer.accept(b);
    Cluster node = b.start();
    nodes.set(i, node);
    return node;
  }

  /** The node in slot {@code i}. */
  public Cluster node(int i) {
    return requireNonNull(nodes.get(i), "node " + i + " is not running");
  }

  /** The number of slots. */
  public int size() {
    return nodes.size();
  }

  /** Every event node {@code i} has reported (all its incarnations). */
  public List<ClusterEvent> events(int i) {
    return events.get(i);
  }

  /** Stops node {@code i} abruptly: to the others it crashed. */
  public void kill(int i) {
    node(i).close();
  }

  /** Node {@code i} leaves gracefully. */
  public void leave(int i) {
    node(i).leave(Duration.ofSeconds(5)).join();
    await(Duration.ofSeconds(10), node(i)::isClosed, "node " + i + " closed after leaving");
  }

  /** Starts one more node, in a new slot, that joins through the running ones. */
  public Cluster add() {
    nodes.add(null);
    events.add(new CopyOnWriteArrayList<>());
    return boot(nodes.size() - 1, 1);
  }

  /** Starts node {@code i} again under its name with a higher incarnation. */
  public Cluster restart(int i) {
    Cluster old = nodes.get(i);
    long incarnation = old == null ? 1 : old.self().incarnation() + 1;
    if (old != null) {
      old.close();
    }
    return boot(i, incarnation);
  }

  /** Cuts every link between {@code side} and the other nodes, both ways. */
  public void partition(Set<Integer> side) {
    for (int a = 0; a < nodes.size(); a++) {
      for (int b = 0; b < nodes.size(); b++) {
        if (side.contains(a) != side.contains(b)) {
          cuts.add("n" + a + "|n" + b);
        }
      }
    }
  }

  /** Cuts the link from {@code from} to {@code to} only: {@code to} stops hearing {@code from}. */
  public void cut(int from, int to) {
    cuts.add("n" + from + "|n" + to);
  }

  /** Heals the link from {@code from} to {@code to} only (the other cuts stay). */
  public void mend(int from, int to) {
    cuts.remove("n" + from + "|n" + to);
  }

  /**
   * Black-holes node {@code from}'s connection to {@code to}: what it sends there is lost until
   * {@code from} closes that connection itself (a half-open connection whose close was lost).
   */
  public void blackHole(int from, int to) {
    holes.add("n" + from + "|n" + to);
  }

  /** Whether node {@code from}'s connection to {@code to} is still black-holed. */
  public boolean blackHoled(int from, int to) {
    return holes.contains("n" + from + "|n" + to);
  }

  /**
   * Drops the replication messages of scope {@code scope} from {@code from} to {@code to} (the
   * membership and every other scope still flow) until {@link #healScopes}: a replica held back.
   */
  public void cutScope(int from, int to, String scope) {
    scopeCuts.add("n" + from + "|n" + to + "|" + scope);
  }

  /** Heals every {@link #cutScope}. */
  public void healScopes() {
    scopeCuts.clear();
  }

  /** Heals every cut (a black hole heals only when its sender redials; scope cuts stay). */
  public void heal() {
    cuts.clear();
  }

  /** Blocks node {@code i}'s core thread for {@code d} (a stop-the-world pause). */
  public void pause(int i, Duration d) {
    node(i)
        .onCore()
        .execute(
            () -> {
              try {
                Thread.sleep(d.toMillis());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
  }

  /**
   * Holds node {@code i}'s core thread busy until the returned handle is closed (at most 30 s);
   * returns once the core is held.
   */
  public AutoCloseable holdCore(int i) throws InterruptedException {
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    node(i)
        .onCore()
        .execute(
            () -> {
              held.countDown();
              try {
                boolean unused = release.await(30, java.util.concurrent.TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    if (!held.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
      release.countDown();
      throw new AssertionError("the core of n" + i + " was not held within 10 s");
    }
    return release::countDown;
  }

  /** Evaluates {@code check} on {@code c}'s core thread (for the {@code ...Now} methods). */
  public static boolean onCore(Cluster c, BooleanSupplier check) {
    return java.util.concurrent.CompletableFuture.supplyAsync(check::getAsBoolean, c.onCore())
        .join();
  }

  /**
   * Waits until {@code condition} holds, polling every 20 ms.
   *
   * @throws AssertionError naming {@code what} after {@code timeout}
   */
  public static void await(Duration timeout, BooleanSupplier condition, String what) {
    await(timeout, Duration.ofMillis(20), condition, what);
  }

  /**
   * Waits until {@code condition} holds, polling every {@code poll} (longer for checks that cost
   * something, such as HTTP calls to containers).
   *
   * @throws AssertionError naming {@code what} after {@code timeout}
   */
  public static void await(
      Duration timeout, Duration poll, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /** Whether every running node sees exactly the running nodes as up and reachable. */
  public boolean converged() {
    List<Cluster> running = new ArrayList<>();
    for (Cluster c : nodes) {
      if (c != null && !c.isClosed()) {
        running.add(c);
      }
    }
    for (Cluster c : running) {
      List<Member> view = c.members().join();
      for (Cluster other : running) {
        boolean seen =
            view.stream()
                .anyMatch(
                    m ->
                        m.id().equals(other.self())
                            && m.status() == MemberStatus.UP
                            && m.reachable());
        if (!seen) {
          return false;
        }
      }
    }
    return true;
  }

  /** Prints every node's view (on failure). */
  public void printStatus() {
    for (Cluster c : nodes) {
      if (c != null && !c.isClosed()) {
        try {
          System.err.println(c.status().join());
        } catch (RuntimeException e) {
          System.err.println(c.self() + ": " + e);
        }
      }
    }
  }

  @Override
  public void close() {
    for (Cluster c : nodes) {
      if (c != null) {
        c.close();
      }
    }
  }
}
