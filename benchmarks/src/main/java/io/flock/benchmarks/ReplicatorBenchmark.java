package io.flock.benchmarks;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.Replicator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One replicator step for a write, without the network: a put on one replica, its delta flushed to
 * every neighbour, each neighbour applying it, and their acknowledgements received back (so the
 * delta buffer is collected and the step can repeat forever). Maps of {@code size} keys.
 *
 * <p>Run: {@code ./flock bench jmh ReplicatorBenchmark} (or {@code java -jar
 * benchmarks/target/flock-benchmarks.jar jmh ReplicatorBenchmark -p neighbours=4}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g"})
public class ReplicatorBenchmark {
  @Param({"2", "4"})
  public int neighbours;

  @Param({"100000"})
  public int size;

  Replicator<String, String> writer = replicator("w");
  Map<ReplicaId, Replicator<String, String>> others = new HashMap<>();
  String[] keys = new String[0];
  private int next;

  static Replicator<String, String> replicator(String node) {
    AWLWWMap<String, String> map = MapBenchmark.newMap(node);
    return new Replicator<>(map, Replicator.Settings.defaults());
  }

  @Setup(Level.Trial)
  public void setUp() {
    writer = replicator("w");
    others = new HashMap<>();
    List<ReplicaId> ids = new ArrayList<>();
    for (int i = 0; i < neighbours; i++) {
      Replicator<String, String> r = replicator("r" + i);
      others.put(r.self(), r);
      ids.add(r.self());
    }
    writer.setNeighbours(ids);
    for (Replicator<String, String> r : others.values()) {
      r.setNeighbours(List.of(writer.self()));
    }
    keys = new String[size];
    for (int i = 0; i < size; i++) {
      keys[i] = "child-" + i;
      step(keys[i]);
    }
    if (writer.bufferedDeltas() > neighbours) {
      throw new IllegalStateException("acknowledgements did not collect the buffer");
    }
  }

  /** A write replicated to every neighbour and acknowledged. */
  @Benchmark
  public int replicatedWrite() {
    int i = next++;
    return step(keys[(i & Integer.MAX_VALUE) % size]);
  }

  private int step(String key) {
    writer.recordLocal(writer.map().put(key, "n1#000000000001"));
    int changes = 0;
    for (Replicator.Outgoing<String, String> out : writer.flush()) {
      Replicator<String, String> to = others.get(out.to());
      if (to == null) {
        throw new IllegalStateException("unknown neighbour " + out.to());
      }
      Replicator.Result<String, String> result = to.receive(writer.self(), out.message());
      changes += result.changes().size();
      for (Replicator.Outgoing<String, String> reply : result.replies()) {
        writer.receive(to.self(), reply.message());
      }
    }
    return changes;
  }
}
