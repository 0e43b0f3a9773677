package io.flock.membership.internal.transport;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Hlc;
import io.flock.crdt.ReplicaId;
import io.flock.crdt.Replicator;
import io.flock.membership.NodeId;
import io.flock.membership.internal.protocol.ClusterMessages;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The wire codec on its hot message, a replicated one-key delta in a scope envelope (what every
 * write sends to every neighbour): encode into a length-prefixed frame, and decode it back, each
 * through a Netty pipeline with the real Kryo registrations. Lives in the transport's package
 * because the codec is not public API.
 *
 * <p>Run: {@code ./flock bench jmh CodecBenchmark} (or {@code java -jar
 * benchmarks/target/flock-benchmarks.jar jmh CodecBenchmark}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CodecBenchmark {
  private static final int MAX_FRAME = 16 << 20;

  EmbeddedChannel encoder = new EmbeddedChannel();
  EmbeddedChannel decoder = new EmbeddedChannel();
  Wire.Envelope envelope = sample();
  ByteBuf frame = io.netty.buffer.Unpooled.EMPTY_BUFFER;

  /** A one-key delta, as the replicator ships it to a neighbour, in a scope envelope. */
  static Wire.Envelope sample() {
    AWLWWMap<String, String> map =
        new AWLWWMap<>(new ReplicaId("n1", 1), new Hlc(System::currentTimeMillis));
    Replicator<String, String> replicator = new Replicator<>(map, Replicator.Settings.defaults());
    ReplicaId peer = new ReplicaId("n2", 1);
    replicator.setNeighbours(List.of(peer));
    replicator.recordLocal(map.put("child-500", "n1#000000000001"));
    List<Replicator.Outgoing<String, String>> out = replicator.flush();
    if (out.isEmpty()) {
      throw new IllegalStateException("the replicator sent nothing");
    }
    return new Wire.Envelope(
        new NodeId("n1", "10.0.0.1", 7000, 1),
        new NodeId("n2", "10.0.0.2", 7000, 1),
        new ClusterMessages.Scoped("supervisor.app", out.get(0).message()));
  }

  @Setup(Level.Trial)
  public void setUp() {
    encoder = new EmbeddedChannel(new WireCodec.Encoder(ClusterMessages::register, MAX_FRAME));
    decoder = new EmbeddedChannel(new WireCodec.Decoder(ClusterMessages::register, MAX_FRAME));
    envelope = sample();
    encoder.writeOutbound(envelope);
    frame = encoder.readOutbound();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    frame.release();
    encoder.finishAndReleaseAll();
    decoder.finishAndReleaseAll();
  }

  /** Encodes one envelope into a frame (and frees the frame). */
  @Benchmark
  public int encode() {
    encoder.writeOutbound(envelope);
    ByteBuf out = encoder.readOutbound();
    int size = out.readableBytes();
    out.release();
    return size;
  }

  /** Decodes one frame back into an envelope. */
  @Benchmark
  public Object decode() {
    decoder.writeInbound(frame.retainedDuplicate());
    return decoder.readInbound();
  }
}
