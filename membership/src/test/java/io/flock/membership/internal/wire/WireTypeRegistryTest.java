package io.flock.membership.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.crdt.CrdtKryo;
import io.flock.membership.WireTypes;
import io.flock.membership.internal.transport.Wire;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireTypeRegistryTest {
  record A(int x) {}

  record B(String y) {}

  record Unlisted() {}

  /** A record with a field whose type varies, written with writeValue. */
  record Box(Object inner) {}

  static final class BoxFormat implements io.flock.membership.WireFormat<Box> {
    @Override
    public void write(io.flock.membership.WireOutput out, Box b) {
      out.writeValue(b.inner());
    }

    @Override
    public Box read(io.flock.membership.WireInput in) {
      return new Box(in.readValue());
    }
  }

  private static Object roundTrip(WireTypeRegistry r, Object value) {
    com.esotericsoftware.kryo.Kryo kryo = Wire.newKryo(r.registrar());
    com.esotericsoftware.kryo.io.Output out = new com.esotericsoftware.kryo.io.Output(256, -1);
    kryo.writeClassAndObject(out, value);
    return kryo.readClassAndObject(new com.esotericsoftware.kryo.io.Input(out.toBytes()));
  }

  private static WireTypeRegistry registry(WireTypes... sets) {
    return new WireTypeRegistry(List.of(sets), Wire::newKryo);
  }

  @Test
  void everyFlockIdSitsInItsOwnersRangeOfTheTable() {
    com.esotericsoftware.kryo.Kryo kryo = Wire.newKryo(registry().registrar());
    for (int id = 0; id < 1000; id++) {
      com.esotericsoftware.kryo.Registration r = kryo.getRegistration(id);
      if (r == null || id < 18) {
        continue; // Kryo's own primitives and String sit below the table
      }
      String name = r.getType().getName();
      WireRange owner =
          name.startsWith("io.flock.crdt.")
              ? WireRange.CRDT
              : name.contains(".internal.transport.") || id < 40
                  ? WireRange.TRANSPORT
                  : WireRange.MEMBERSHIP;
      assertThat(owner.contains(id)).as(name + " at " + id).isTrue();
    }
    assertThat(CrdtKryo.FIRST_ID).isEqualTo(WireRange.CRDT.first());
  }

  @Test
  void userIdsOutsideTheUserRangeOrTakenTwiceAreRefused() {
    assertThatThrownBy(() -> registry(WireTypes.builder("app").add(300, A.class).build()))
        .hasMessageContaining("id 300")
        .hasMessageContaining("Flock's own");
    assertThatThrownBy(
            () ->
                registry(
                    WireTypes.builder("app").add(1000, A.class).build(),
                    WireTypes.builder("other").add(1000, B.class).build()))
        .hasMessageContaining("taken twice");
    assertThatThrownBy(
            () -> registry(WireTypes.builder("flock.nonsense").add(1000, A.class).build()))
        .hasMessageContaining("Flock's");
    assertThatThrownBy(() -> WireTypes.builder("app").add(1000, A.class).add(1000, B.class))
        .hasMessageContaining("already taken");
  }

  @Test
  void theManifestNamesWhatAPeerLacks() {
    WireTypeRegistry full =
        registry(
            WireTypes.builder("app").add(1000, A.class).build(),
            WireTypes.builder("more").add(1001, B.class).build());
    WireTypeRegistry partial = registry(WireTypes.builder("app").add(1000, A.class).build());
    WireTypeRegistry changed = registry(WireTypes.builder("app").add(1000, B.class).build());
    assertThat(WireTypeRegistry.mismatch(full.manifest(), full.manifest())).isNull();
    assertThat(WireTypeRegistry.mismatch(full.manifest(), partial.manifest()))
        .contains("the peer lacks [more]");
    assertThat(WireTypeRegistry.mismatch(partial.manifest(), full.manifest()))
        .contains("this node lacks [more]");
    assertThat(WireTypeRegistry.mismatch(partial.manifest(), changed.manifest()))
        .contains("registered differently: [app]");
  }

  @Test
  void checkEncodesOrNamesTheUnregisteredType() {
    WireTypeRegistry r = registry(WireTypes.builder("app").add(1000, A.class).build());
    assertThat(r.check(new A(1), "value")).isPositive();
    assertThat(r.check("plain", "value")).isPositive();
    assertThatThrownBy(() -> r.check(new Unlisted(), "value of scope s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("value of scope s")
        .hasMessageContaining(Unlisted.class.getName());
  }

  @Test
  void aFieldOfAnyRegisteredTypeTravelsWithItsTypeAndAnUnregisteredOneIsRefused() {
    WireTypeRegistry r =
        registry(
            WireTypes.builder("app")
                .add(1000, A.class)
                .add(1001, B.class)
                .add(1002, Box.class, new BoxFormat())
                .build());
    assertThat(roundTrip(r, new Box(new A(7)))).isEqualTo(new Box(new A(7)));
    assertThat(roundTrip(r, new Box(new B("y")))).isEqualTo(new Box(new B("y")));
    assertThat(roundTrip(r, new Box("plain"))).isEqualTo(new Box("plain"));
    assertThatThrownBy(() -> r.check(new Box(new Unlisted()), "message"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Unlisted.class.getName());
  }
}
