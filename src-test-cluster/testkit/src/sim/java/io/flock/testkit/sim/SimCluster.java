package io.flock.testkit.sim;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.crdt.AWLWWMap;
import io.flock.crdt.CrdtKryo;
import io.flock.crdt.Delta;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.ReplicationMessage;
import io.flock.crdt.Replicator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deterministic simulated network of {@link Replicator}s: a seeded random schedule decides
 * message loss, duplication and delay (hence reordering); partitions cut chosen pairs; a node can
 * crash and restart empty as a new incarnation. Every message is serialized and deserialized with
 * the real Kryo serializers, so byte counts are real.
 *
 * <p>Time is in steps; one step is one network hop. Replicators tick every {@link #tickEvery} steps
 * (a gossip round); local writes are flushed at once.
 */
public final class SimCluster {

  /** Fault probabilities and the largest extra delay, in steps. */
  public record Faults(double loss, double duplicate, int maxDelay) {
    /** No faults. */
    public static final Faults NONE = new Faults(0, 0, 0);
  }

  /** One slot of the cluster: a node name, with its current incarnation. */
  public final class Node {
    final int slot;
    ReplicaId id;
    AWLWWMap<String, String> map;
    Replicator<String, String> replicator;
    final AtomicLong physical;
    boolean up = true;

    Node(int slot, long incarnation) {
      this.slot = slot;
      this.physical = new AtomicLong(1_000_000 + slot * 13L);
      this.id = new ReplicaId("n" + slot, incarnation);
      this.map = new AWLWWMap<>(id, new Hlc(physical::get));
      this.replicator = new Replicator<>(map, settings);
    }

    /** The replica's map. */
    public AWLWWMap<String, String> map() {
      return map;
    }

    /** The replicator. */
    public Replicator<String, String> replicator() {
      return replicator;
    }

    /** The current replica id. */
    public ReplicaId id() {
      return id;
    }
  }

  @SuppressWarnings("ArrayRecordComponent") // never compared; bytes are not shared
  private record InFlight(long at, long order, int from, ReplicaId fromId, int to, byte[] bytes) {}

  private final Replicator.Settings settings;
  private final Random random;
  private final Kryo kryo = newKryo();
  private final List<Node> nodes = new ArrayList<>();
  private final PriorityQueue<InFlight> queue =
      new PriorityQueue<>(
          (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
  private final Set<Long> cut = new HashSet<>();
  private final List<Delta<String, String>> allDeltas = new ArrayList<>();
  private final List<ReplicaId> authors = new ArrayList<>();
  private final Map<String, Long> bytesByType = new HashMap<>();
  private Faults faults = Faults.NONE;
  private long now;
  private long order;
  private long messages;
  private long bytes;

  /** Steps per gossip round. */
  public final int tickEvery;

  /** A full mesh of {@code n} nodes. */
  public SimCluster(int n, long seed, Replicator.Settings settings, int tickEvery) {
    this.settings = settings;
    this.random = new Random(seed);
    this.tickEvery = tickEvery;
    for (int i = 0; i < n; i++) {
      nodes.add(new Node(i, 1));
    }
    updateNeighbours();
  }

  /** A Kryo instance with the CRDT types and {@code String} registered. */
  public static Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.register(String.class, 10);
    CrdtKryo.register(kryo);
    return kryo;
  }

  /** The node in {@code slot}. */
  public Node node(int slot) {
    return nodes.get(slot);
  }

  /** The number of slots. */
  public int size() {
    return nodes.size();
  }

  /** Sets the faults from now on. */
  public void faults(Faults faults) {
    this.faults = faults;
  }

  /** Writes at {@code slot} and flushes at once. */
  public void put(int slot, String key, String value) {
    Node node = nodes.get(slot);
    local(node, node.map.put(key, value));
  }

  /** Removes at {@code slot} and flushes at once. */
  public void remove(int slot, String key) {
    Node node = nodes.get(slot);
    local(node, node.map.remove(key));
  }

  /** Records a local write without flushing (a burst; the next tick or flush sends it). */
  public void putQuietly(int slot, String key, String value) {
    Node node = nodes.get(slot);
    Delta<String, String> delta = node.map.put(key, value);
    allDeltas.add(delta);
    authors.add(node.id);
    node.replicator.recordLocal(delta);
  }

  private void local(Node node, Delta<String, String> delta) {
    allDeltas.add(delta);
    authors.add(node.id);
    node.replicator.recordLocal(delta);
    send(node, node.replicator.flush());
  }

  /** Every delta written so far, by any incarnation. */
  public List<Delta<String, String>> allDeltas() {
    return allDeltas;
  }

  /** Every delta written by {@code author}. */
  public List<Delta<String, String>> deltasBy(ReplicaId author) {
    List<Delta<String, String>> out = new ArrayList<>();
    for (int i = 0; i < allDeltas.size(); i++) {
      if (authors.get(i).equals(author)) {
        out.add(allDeltas.get(i));
      }
    }
    return out;
  }

  /** Cuts every link between {@code side} and the other slots. */
  public void partition(Set<Integer> side) {
    for (int a = 0; a < nodes.size(); a++) {
      for (int b = 0; b < nodes.size(); b++) {
        if (side.contains(a) != side.contains(b)) {
          cut.add(pair(a, b));
        }
      }
    }
  }

  /** Cuts one link (both directions). */
  public void cutLink(int a, int b) {
    cut.add(pair(a, b));
    cut.add(pair(b, a));
  }

  /** Heals every cut. */
  public void heal() {
    cut.clear();
  }

  private static long pair(int a, int b) {
    return ((long) a << 32) | b;
  }

  /**
   * Crashes the node in {@code slot} and restarts it empty as the next incarnation; the others
   * learn of it as membership would tell them: new neighbour set, old incarnation retired.
   */
  public void crashRestart(int slot) {
    Node old = nodes.get(slot);
    Node fresh = new Node(slot, old.id.incarnation() + 1);
    fresh.physical.set(old.physical.get());
    nodes.set(slot, fresh);
    updateNeighbours();
    // As membership tells every node: the current incarnation of every node (so the earlier ones
    // ended).
    for (Node n : nodes) {
      for (Node m : nodes) {
        n.replicator.retire(m.id.node(), m.id.incarnation());
      }
    }
  }

  private void updateNeighbours() {
    List<ReplicaId> ids = nodes.stream().map(n -> n.id).toList();
    for (Node n : nodes) {
      n.replicator.setNeighbours(ids);
    }
  }

  /** Starts a catch-up round at {@code slot} (its syncs go out at once); returns the round. */
  public long catchUp(int slot) {
    Node node = nodes.get(slot);
    send(node, node.replicator.catchUp());
    return node.replicator.catchUpRound();
  }

  /** One step: deliver what is due, and every {@link #tickEvery} steps a gossip round. */
  public void step() {
    now++;
    for (Node n : nodes) {
      n.physical.addAndGet(1);
    }
    while (!queue.isEmpty() && queue.peek().at <= now) {
      deliver(queue.poll());
    }
    if (now % tickEvery == 0) {
      for (Node n : nodes) {
        send(n, n.replicator.tick());
      }
    }
  }

  /** Steps {@code count} times. */
  public void steps(int count) {
    for (int i = 0; i < count; i++) {
      step();
    }
  }

  /**
   * Steps until every replica shows the same visible map and digest, at most {@code maxSteps};
   * returns the steps taken, or -1.
   */
  public int runUntilConverged(int maxSteps) {
    for (int i = 0; i <= maxSteps; i++) {
      if (converged()) {
        return i;
      }
      step();
    }
    return -1;
  }

  /** Whether all replicas hold the same entries (same root digest and visible map). */
  public boolean converged() {
    AWLWWMap<String, String> first = nodes.get(0).map;
    for (Node n : nodes) {
      if (n.map.rootDigest() != first.rootDigest() || n.map.size() != first.size()) {
        return false;
      }
    }
    Map<String, String> snapshot = first.snapshot();
    for (Node n : nodes) {
      if (!n.map.snapshot().equals(snapshot)) {
        return false;
      }
    }
    return true;
  }

  private void send(Node from, List<Replicator.Outgoing<String, String>> out) {
    for (Replicator.Outgoing<String, String> o : out) {
      int to = slotOf(o.to());
      if (to < 0) {
        continue;
      }
      Output output = new Output(256, -1);
      kryo.writeClassAndObject(output, o.message());
      byte[] payload = output.toBytes();
      messages++;
      bytes += payload.length;
      bytesByType.merge(o.message().getClass().getSimpleName(), (long) payload.length, Long::sum);
      if (cut.contains(pair(from.slot, to)) || random.nextDouble() < faults.loss) {
        continue;
      }
      int copies = random.nextDouble() < faults.duplicate ? 2 : 1;
      for (int c = 0; c < copies; c++) {
        long delay = faults.maxDelay == 0 ? 0 : random.nextInt(faults.maxDelay + 1);
        queue.add(new InFlight(now + 1 + delay, order++, from.slot, from.id, to, payload));
      }
    }
  }

  private int slotOf(ReplicaId id) {
    for (Node n : nodes) {
      if (n.id.equals(id)) {
        return n.slot;
      }
    }
    return -1;
  }

  @SuppressWarnings("unchecked")
  private void deliver(InFlight m) {
    Node to = nodes.get(m.to);
    if (!to.up || cut.contains(pair(m.from, m.to))) {
      return;
    }
    ReplicationMessage<String, String> message =
        (ReplicationMessage<String, String>) kryo.readClassAndObject(new Input(m.bytes));
    Replicator.Result<String, String> result = to.replicator.receive(m.fromId, message);
    send(to, result.replies());
  }

  /** Messages sent so far (before faults). */
  public long messages() {
    return messages;
  }

  /** Bytes sent so far (before faults). */
  public long bytes() {
    return bytes;
  }

  /** Bytes sent per message type. */
  public Map<String, Long> bytesByType() {
    return bytesByType;
  }

  /** The current step. */
  public long now() {
    return now;
  }

  /** Whether messages are still in flight. */
  public boolean idle() {
    return queue.isEmpty();
  }
}
