package io.flock.benchmarks;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Delta;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
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
 * The map's hot paths at 1k, 100k and 1M keys: a local put (with its delta), and a replicated write
 * (a put on one replica joined into another).
 *
 * <p>Run: {@code ./flock bench jmh MapBenchmark} (or {@code java -jar
 * benchmarks/target/flock-benchmarks.jar jmh MapBenchmark -p size=100000}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx8g"})
public class MapBenchmark {

  @Param({"1000", "100000", "1000000"})
  public int size;

  AWLWWMap<String, String> map = newMap("a");
  AWLWWMap<String, String> writer = newMap("b");
  String[] keys = new String[0];

  private int next;
  private java.util.SplittableRandom random = new java.util.SplittableRandom(1);

  static AWLWWMap<String, String> newMap(String node) {
    return new AWLWWMap<>(new ReplicaId(node, 1), new Hlc(System::currentTimeMillis));
  }

  @Setup(Level.Trial)
  public void fill() {
    map = newMap("a");
    writer = newMap("b");
    keys = new String[size];
    for (int i = 0; i < size; i++) {
      keys[i] = "child-" + i;
      writer.join(map.put(keys[i], "node-" + (i % 5)));
    }
  }

  /** A local put into a map of {@code size} keys, making its delta. */
  @Benchmark
  public Delta<String, String> put() {
    int i = next++;
    return map.put(keys[(i & Integer.MAX_VALUE) % size], "node-x");
  }

  /**
   * One replicated write: another replica puts a random existing key, and this map joins its
   * one-key delta. The join's own cost is this minus {@link #put}.
   */
  @Benchmark
  public Object putThenJoinElsewhere() {
    Delta<String, String> delta = writer.put(keys[random.nextInt(size)], "node-y");
    return map.join(delta);
  }
}
