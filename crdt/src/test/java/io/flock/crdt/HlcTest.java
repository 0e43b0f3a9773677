package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HlcTest {
  private final AtomicLong wall = new AtomicLong(1_000_000);
  private final Hlc clock = new Hlc(wall::get);

  @Test
  void aRemoteTimestampWithinTheDriftBoundIsFollowed() {
    long remote = (wall.get() + 400) << Hlc.LOGICAL_BITS;
    clock.observe(remote);
    assertThat(clock.now()).isGreaterThan(remote);
    assertThat(clock.clamped()).isZero();
  }

  @Test
  void aNodeWithAClockFarAheadCannotDragThisClockWithIt() {
    long farFuture = (wall.get() + 3_600_000) << Hlc.LOGICAL_BITS; // an hour ahead
    clock.observe(farFuture);
    assertThat(clock.clamped()).isEqualTo(1);
    assertThat(Hlc.physicalMillis(clock.now())).isLessThanOrEqualTo(wall.get() + 501);
  }

  @Test
  void overflowIsImpossible() {
    clock.observe(Long.MAX_VALUE);
    clock.observe(-1L); // below what it has: ignored
    long t = clock.now();
    assertThat(t).isPositive();
    assertThat(clock.now()).isGreaterThan(t);
    assertThat(clock.clamped()).isEqualTo(1);
  }
}
