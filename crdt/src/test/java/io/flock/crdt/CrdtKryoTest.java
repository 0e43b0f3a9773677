package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CrdtKryoTest {
  private final Kryo kryo = newKryo();

  static Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    CrdtKryo.register(kryo);
    kryo.register(String.class, 10);
    kryo.register(Integer.class, 11);
    return kryo;
  }

  private byte[] write(Object o) {
    Output out = new Output(256, -1);
    kryo.writeClassAndObject(out, o);
    return out.toBytes();
  }

  private Object read(byte[] bytes) {
    return kryo.readClassAndObject(new Input(bytes));
  }

  @Test
  void roundTripsEmptyDeltasAndStates() {
    AWLWWMap<String, String> a = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 5));
    assertThat(read(write(Delta.empty()))).isEqualTo(Delta.empty());
    assertThat(read(write(a.state()))).isEqualTo(a.state());
    assertThat(read(write(CausalContext.empty()))).isEqualTo(CausalContext.empty());
  }

  @Test
  void roundTripsUnicodeHugeKeysAndComplexContexts() {
    AWLWWMap<String, String> a = new AWLWWMap<>(new ReplicaId("nœud-α", 7), new Hlc(() -> 5));
    AWLWWMap<String, String> b = new AWLWWMap<>(new ReplicaId("b", 1), new Hlc(() -> 9));
    String huge = "k".repeat(200_000);
    a.put("ключ-🔑", "значение");
    a.put(huge, "v".repeat(50_000));
    a.put("", "empty key");
    b.put("only-b", "x");
    b.put("only-b2", "y");
    Delta<String, String> removed = b.remove("only-b");
    a.join(removed); // leaves a cloud dot in a's context
    a.join(b.put("k3", "z"));
    a.prune("gone", 3);
    Delta<String, String> state = a.state();
    assertThat(state.context().cloudSize()).isPositive();
    assertThat(read(write(state))).isEqualTo(state);
    assertThat(read(write(removed))).isEqualTo(removed);
    assertThat(read(write(new Dot(new ReplicaId("x", 2), 3))))
        .isEqualTo(new Dot(new ReplicaId("x", 2), 3));
  }

  @Test
  void oneKeyDeltaIsSmall() {
    AWLWWMap<String, String> a =
        new AWLWWMap<>(new ReplicaId("node-1", 1), new Hlc(() -> 1_700_000_000_000L));
    for (int i = 0; i < 1000; i++) {
      a.put("child-" + i, "v" + i);
    }
    byte[] bytes = write(a.put("child-500", "node-2"));
    assertThat(bytes.length).isLessThan(64);
  }

  @Test
  void unregisteredClassesAreRefused() {
    AWLWWMap<Object, Object> a = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 5));
    Delta<Object, Object> delta = a.put("k", List.of(1));
    assertThatThrownBy(() -> write(delta))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not registered");
  }

  @Test
  void malformedBytesThrowKryoExceptionNeverAnythingWorse() {
    AWLWWMap<String, String> a = new AWLWWMap<>(new ReplicaId("a", 1), new Hlc(() -> 5));
    a.put("k1", "v1");
    a.put("k2", "v2");
    byte[] good = write(a.state());
    Random random = new Random(42);
    for (int i = 0; i < 5_000; i++) {
      byte[] bad = good.clone();
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
      }
      if (random.nextBoolean()) {
        bad = java.util.Arrays.copyOf(bad, random.nextInt(bad.length));
      }
      try {
        Object o = read(bad);
        if (o instanceof Delta<?, ?> d) {
          assertThat(d.context()).isNotNull(); // a valid, validated delta
        }
      } catch (KryoException | IllegalArgumentException expected) {
        // refused: fine
      }
    }
  }

  @Test
  void deltaWithEntryOutsideItsContextIsRefusedOnRead() {
    ReplicaId r = new ReplicaId("a", 1);
    AWLWWMap<String, String> a = new AWLWWMap<>(r, new Hlc(() -> 5));
    Delta<String, String> delta = a.put("k", "v");
    byte[] bytes = write(delta);
    // Replace the context's one dot (counter 1 stored as a version) by version 0.
    Delta<String, String> tampered = Delta.of(Map.of(), CausalContext.empty(), false);
    assertThat(read(write(tampered))).isEqualTo(tampered);
    byte[] broken = bytes.clone();
    int idx = indexOfVersion(broken);
    broken[idx] = 0;
    assertThatThrownBy(() -> read(broken))
        .isInstanceOf(KryoException.class)
        .hasMessageContaining("not in its context");
  }

  /** The byte of the version in "1 version entry: replica 0, version 1" right after the table. */
  private static int indexOfVersion(byte[] bytes) {
    // class id varint (1 byte), table size 1, replica "a" (1 byte len-flagged string), incarnation,
    // versions count 1, replica index 0, version 1
    for (int i = 0; i + 2 < bytes.length; i++) {
      if (bytes[i] == 1 && bytes[i + 1] == 0 && bytes[i + 2] == 1) {
        return i + 2;
      }
    }
    throw new AssertionError("layout changed");
  }

  /**
   * Wire hardening, finding 1: counts up to 16M presized collections before anything was read. A
   * count beyond the bytes that remain is refused before anything is allocated for it.
   */
  @Test
  void aCountBeyondTheRemainingBytesIsRefusedBeforeAllocating() {
    byte[] empty = write(Delta.empty());
    assertThat(empty[empty.length - 1]).as("the last byte is the entry count").isZero();
    byte[] lying = java.util.Arrays.copyOf(empty, empty.length + 3);
    // 10,000,000 as a varint, where the entry count was: within the old bound, far beyond the
    // input.
    byte[] count = {(byte) 0x80, (byte) 0xAD, (byte) 0xE2, 0x04};
    System.arraycopy(count, 0, lying, empty.length - 1, 4);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> read(lying))
        .isInstanceOf(com.esotericsoftware.kryo.KryoException.class)
        .hasMessageContaining("bytes that remain");
  }
}
