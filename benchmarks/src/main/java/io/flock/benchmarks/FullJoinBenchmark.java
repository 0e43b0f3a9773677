package io.flock.benchmarks;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Delta;
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
 * Joining a whole remote state of {@code size} keys into an empty replica (what a digest sync
 * amounts to at worst).
 *
 * <p>Run: {@code ./flock bench jmh FullJoinBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx8g"})
public class FullJoinBenchmark {
  @Param({"1000", "100000", "1000000"})
  public int size;

  private Delta<String, String> state = Delta.empty();
  private AWLWWMap<String, String> target = MapBenchmark.newMap("t");

  @Setup(Level.Trial)
  public void fill() {
    AWLWWMap<String, String> source = MapBenchmark.newMap("s");
    for (int i = 0; i < size; i++) {
      source.put("child-" + i, "node-" + (i % 5));
    }
    state = source.state();
  }

  @Setup(Level.Invocation)
  public void fresh() {
    target = MapBenchmark.newMap("t");
  }

  @Benchmark
  public Object joinFullState() {
    return target.join(state);
  }
}
