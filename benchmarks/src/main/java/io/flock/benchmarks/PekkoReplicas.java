package io.flock.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.DistributedData;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.pattern.Patterns;

/**
 * Apache Pekko Distributed Data, laid out as a Pekko user would for many small entries: the keys
 * hashed over {@link #BUCKETS} top-level {@code LWWMap<String, String>}s (one map holding 100,000
 * entries would exceed Pekko's frame size in a full-state gossip). One {@code ActorSystem} per
 * node, Artery TCP on loopback, writes with {@code WriteLocal} unless stated, and a subscriber per
 * bucket on every node.
 */
final class PekkoReplicas implements Replicas {
  static final int BUCKETS = 64;

  /** Pekko's own defaults (gossip every 2 s, subscribers notified every 500 ms). */
  static final String DEFAULTS = "";

  /**
   * A tuned gossip interval (4x the default rate), and subscribers notified promptly. 100 ms was
   * tried first and propagated faster (visibility p50 88 ms on 3 nodes, against 202 ms at 500 ms),
   * but on 2 cores its full-state gossip of 64 buckets saturated the machine (700 KB/s per node
   * when idle, phi-accrual warnings) until an update went unanswered for 30 s.
   */
  static final String TUNED =
      """
      pekko.cluster.distributed-data.gossip-interval = 500 ms
      pekko.cluster.distributed-data.notify-subscribers-interval = 10 ms
      """;

  private static final Duration ASK = Duration.ofSeconds(30);
  private static final AtomicInteger SYSTEMS = new AtomicInteger();

  private final String label;
  private final String overrides;
  private final String systemName = "bench" + SYSTEMS.incrementAndGet();
  private final List<Node> nodes = new CopyOnWriteArrayList<>();

  /** One Pekko node and its view. */
  private static final class Node {
    final ActorSystem system;
    final ActorRef replicator;
    final SelfUniqueAddress self;
    final AtomicReferenceArray<LWWMap<String, String>> buckets =
        new AtomicReferenceArray<>(BUCKETS);
    final AtomicInteger count = new AtomicInteger();
    final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    Node(ActorSystem system) {
      this.system = system;
      this.replicator = DistributedData.get(system).replicator();
      this.self = DistributedData.get(system).selfUniqueAddress();
      for (int b = 0; b < BUCKETS; b++) {
        buckets.set(b, LWWMap.create());
      }
    }
  }

  private PekkoReplicas(String label, String overrides) {
    this.label = label;
    this.overrides = overrides;
  }

  /** Starts {@code n} nodes with {@code overrides} over Pekko's reference configuration. */
  static PekkoReplicas start(String label, int n, String overrides) throws Exception {
    PekkoReplicas r = new PekkoReplicas(label, overrides);
    try {
      for (int i = 0; i < n; i++) {
        r.addNode();
      }
    } catch (Exception | Error e) {
      r.close();
      throw e;
    }
    return r;
  }

  private Config config() {
    return ConfigFactory.parseString(
            overrides
                + "pekko.actor.provider = cluster\n"
                + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                + "pekko.remote.artery.canonical.port = 0\n"
                + "pekko.loglevel = WARNING\n"
                + "pekko.stdout-loglevel = WARNING\n"
                + "pekko.log-dead-letters = off\n"
                + "pekko.cluster.jmx.enabled = off\n"
                + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n"
                + "pekko.cluster.log-info = off\n")
        .withFallback(ConfigFactory.defaultReference());
  }

  @Override
  public int addNode() throws Exception {
    ActorSystem system = ActorSystem.create(systemName, config());
    Node node = new Node(system);
    Cluster.get(system).join(address(nodes.isEmpty() ? system : nodes.get(0).system));
    nodes.add(node);
    int n = nodes.size();
    TestCluster.await(
        Duration.ofSeconds(60),
        Duration.ofMillis(50),
        () -> nodes.stream().allMatch(x -> allUp(x.system, n)),
        n + " Pekko nodes up");
    for (int b = 0; b < BUCKETS; b++) {
      ActorRef subscriber = system.actorOf(subscriberProps(node, b));
      node.replicator.tell(
          new Replicator.Subscribe<>(LWWMapKey.<String, String>create("bench-" + b), subscriber),
          ActorRef.noSender());
    }
    return n - 1;
  }

  @Override
  public String label() {
    return label;
  }

  @Override
  public int nodes() {
    return nodes.size();
  }

  @Override
  public CompletableFuture<?> write(int node, String key, String value) {
    return update(node, key, value, Replicator.writeLocal());
  }

  /** Writes with {@code WriteAll}: completes once every node has stored the value. */
  CompletableFuture<?> writeAll(int node, String key, String value) {
    return update(node, key, value, new Replicator.WriteAll(ASK));
  }

  private CompletableFuture<?> update(
      int node, String key, String value, Replicator.WriteConsistency consistency) {
    Node n = nodes.get(node);
    Replicator.Update<LWWMap<String, String>> update =
        new Replicator.Update<>(
            bucketKey(key), LWWMap.create(), consistency, m -> m.put(n.self, key, value));
    return Patterns.ask(n.replicator, update, ASK)
        .toCompletableFuture()
        .thenApply(
            reply -> {
              if (!(reply instanceof Replicator.UpdateSuccess<?>)) {
                throw new IllegalStateException("Pekko update failed: " + reply);
              }
              return reply;
            });
  }

  private static Key<LWWMap<String, String>> bucketKey(String key) {
    return LWWMapKey.create("bench-" + bucket(key));
  }

  private static int bucket(String key) {
    return Math.floorMod(key.hashCode(), BUCKETS);
  }

  @Override
  public boolean contains(int node, String key) {
    return nodes.get(node).buckets.get(bucket(key)).contains(key);
  }

  @Override
  public int count(int node) {
    return nodes.get(node).count.get();
  }

  @Override
  public void onChange(int node, Runnable listener) {
    nodes.get(node).listeners.add(listener);
  }

  @Override
  public Set<Integer> ports() {
    Set<Integer> out = new HashSet<>();
    for (Node n : nodes) {
      out.add(Cluster.get(n.system).selfAddress().getPort().orElseThrow());
    }
    return out;
  }

  @Override
  public void close() {
    List<CompletableFuture<?>> done = new ArrayList<>();
    for (Node n : nodes) {
      n.system.terminate();
      done.add(n.system.getWhenTerminated().toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("Pekko did not terminate cleanly: " + e);
    }
  }

  /** Receives one bucket's changes on one node. */
  private static final class Subscriber extends AbstractActor {
    private final Node node;
    private final int bucket;

    Subscriber(Node node, int bucket) {
      this.node = node;
      this.bucket = bucket;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Receive createReceive() {
      return receiveBuilder()
          .match(
              Replicator.Changed.class,
              c -> {
                LWWMap<String, String> map = (LWWMap<String, String>) c.dataValue();
                LWWMap<String, String> old = node.buckets.getAndSet(bucket, map);
                node.count.addAndGet(map.size() - old.size());
                for (Runnable r : node.listeners) {
                  r.run();
                }
              })
          .build();
    }
  }

  static Address address(ActorSystem system) {
    return Cluster.get(system).selfAddress();
  }

  static boolean allUp(ActorSystem system, int n) {
    int up = 0;
    for (Member m : Cluster.get(system).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up == n;
  }

  static Props subscriberProps(Node node, int bucket) {
    return Props.create(Subscriber.class, () -> new Subscriber(node, bucket));
  }
}
