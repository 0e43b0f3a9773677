package io.flock.benchmarks;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Replicator;
import io.flock.testkit.sim.SimCluster;
import java.util.Locale;
import java.util.Set;

/**
 * Numbers that are not a time: the wire size of a one-key delta, retained heap per entry, and the
 * replicator on the simulated network (messages, bytes and rounds to converge).
 *
 * <p>Run: {@code ./flock bench report}.
 */
public final class CrdtReport {
  private CrdtReport() {}

  public static void main(String[] args) {
    System.out.println("## CRDT sizes");
    deltaSize();
    heapPerEntry(1_000_000);
    System.out.println();
    System.out.print(simulationTable(new int[] {10, 100, 1_000}));
    newReplica(100_000);
    partitionHeal(10_000);
    for (int keys : new int[] {1_000, 100_000}) {
      idle(keys);
    }
  }

  private static void deltaSize() {
    AWLWWMap<String, String> map = MapBenchmark.newMap("node-1");
    for (int i = 0; i < 1000; i++) {
      map.put("child-" + i, "node-" + (i % 5));
    }
    Kryo kryo = SimCluster.newKryo();
    Output out = new Output(256, -1);
    kryo.writeClassAndObject(out, map.put("child-500", "node-2"));
    System.out.printf(
        "- one-key delta (key \"child-500\", value \"node-2\"): %d bytes serialized%n",
        out.total());
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 5; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  private static void heapPerEntry(int n) {
    String[] keys = new String[n];
    String[] values = {"node-0", "node-1", "node-2", "node-3", "node-4"};
    long base = usedHeap();
    for (int i = 0; i < n; i++) {
      keys[i] = "child-" + i;
    }
    long withKeys = usedHeap();
    AWLWWMap<String, String> map = MapBenchmark.newMap("a");
    for (int i = 0; i < n; i++) {
      map.put(keys[i], values[i % 5]);
    }
    long withMap = usedHeap();
    double keyBytes = (withKeys - base) / (double) n;
    double perEntry = (withMap - withKeys) / (double) n;
    System.out.printf(
        Locale.ROOT,
        "- retained heap per entry at %,d keys: %.0f bytes beyond the key (keys themselves: %.0f"
            + " bytes each; values shared)%n",
        n,
        perEntry,
        keyBytes);
    if (map.size() != n) {
      throw new IllegalStateException("map lost entries");
    }
  }

  /**
   * The heading and table of the simulated replicator, starting with one write converging on each
   * of {@code replicas} (full mesh, seeded, no faults); more rows follow in {@link #main}.
   */
  static String simulationTable(int[] replicas) {
    StringBuilder out =
        new StringBuilder(
            """
            ## Replicator on the simulated network (1 step = 1 hop, 3 steps = 1 round)
            | scenario | steps | rounds | messages | bytes | note |
            |---|---|---|---|---|---|
            """);
    for (int n : replicas) {
      out.append(oneWrite(n));
    }
    return out.toString();
  }

  private static void row(
      String scenario, long steps, SimCluster sim, long messages, long bytes, String note) {
    System.out.print(format(scenario, steps, sim, messages, bytes, note));
  }

  private static String format(
      String scenario, long steps, SimCluster sim, long messages, long bytes, String note) {
    return String.format(
        Locale.ROOT,
        "| %s | %d | %.1f | %,d | %,d | %s |%n",
        scenario,
        steps,
        steps / (double) sim.tickEvery,
        messages,
        bytes,
        note);
  }

  private static int converge(SimCluster sim, int max) {
    int steps = sim.runUntilConverged(max);
    if (steps < 0) {
      throw new IllegalStateException("did not converge");
    }
    return steps;
  }

  private static String oneWrite(int n) {
    SimCluster sim = new SimCluster(n, 1, Replicator.Settings.defaults(), 3);
    sim.put(0, "warm", "up");
    converge(sim, 100);
    sim.steps(30); // acks settle, buffers collected
    long m0 = sim.messages();
    long b0 = sim.bytes();
    sim.put(0, "child-1", "node-0");
    int steps = converge(sim, 100);
    long messages = sim.messages() - m0;
    long bytes = sim.bytes() - b0;
    return format(
        "one write, " + n + " replicas",
        steps,
        sim,
        messages,
        bytes,
        String.format(Locale.ROOT, "%.1f bytes per replica", bytes / (double) (n - 1)));
  }

  private static void newReplica(int keys) {
    SimCluster sim = new SimCluster(3, 2, Replicator.Settings.defaults(), 3);
    for (int i = 0; i < keys; i++) {
      sim.putQuietly(i % 2, "child-" + i, "node-" + (i % 5));
    }
    converge(sim, 10_000);
    sim.steps(30);
    long stateBytes = stateBytes(sim);
    long m0 = sim.messages();
    long b0 = sim.bytes();
    sim.crashRestart(2);
    long t0 = System.nanoTime();
    int steps = converge(sim, 100_000);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    row(
        "new replica joins " + keys + " keys",
        steps,
        sim,
        sim.messages() - m0,
        sim.bytes() - b0,
        String.format(
            Locale.ROOT,
            "full state is %,d bytes: %.2fx; %,d ms of CPU in the simulation",
            stateBytes,
            (sim.bytes() - b0) / (double) stateBytes,
            millis));
  }

  private static long stateBytes(SimCluster sim) {
    Output out = new Output(1 << 20, -1);
    SimCluster.newKryo().writeObject(out, sim.node(0).map().state());
    return out.total();
  }

  private static void partitionHeal(int perSide) {
    SimCluster sim = new SimCluster(4, 3, Replicator.Settings.defaults(), 3);
    sim.partition(Set.of(0, 1));
    for (int i = 0; i < perSide; i++) {
      sim.putQuietly(0, "a-" + i, "node-0");
      sim.putQuietly(2, "b-" + i, "node-2");
    }
    sim.steps(60);
    // What differs: each node lacks the other side's entries.
    SimCluster sideOnly = new SimCluster(1, 4, Replicator.Settings.defaults(), 3);
    for (int i = 0; i < perSide; i++) {
      sideOnly.putQuietly(0, "a-" + i, "node-0");
    }
    long differing = 4 * stateBytes(sideOnly);
    long m0 = sim.messages();
    long b0 = sim.bytes();
    sim.heal();
    int steps = converge(sim, 100_000);
    long bytes = sim.bytes() - b0;
    row(
        "heal after 2|2 partition, " + perSide + " keys per side",
        steps,
        sim,
        sim.messages() - m0,
        bytes,
        String.format(
            Locale.ROOT,
            "differing entries %,d bytes: %.2fx",
            differing,
            bytes / (double) differing));
  }

  private static void idle(int keys) {
    SimCluster sim = new SimCluster(3, 5, Replicator.Settings.defaults(), 3);
    for (int i = 0; i < keys; i++) {
      sim.putQuietly(i % 3, "child-" + i, "node-" + (i % 5));
    }
    converge(sim, 10_000);
    sim.steps(60);
    long m0 = sim.messages();
    long b0 = sim.bytes();
    int rounds = 20;
    sim.steps(rounds * sim.tickEvery);
    long bytes = sim.bytes() - b0;
    row(
        "idle, " + keys + " keys, 20 rounds",
        (long) rounds * sim.tickEvery,
        sim,
        sim.messages() - m0,
        bytes,
        String.format(
            Locale.ROOT, "%.1f bytes per neighbour per round", bytes / (double) (rounds * 3 * 2)));
  }
}
