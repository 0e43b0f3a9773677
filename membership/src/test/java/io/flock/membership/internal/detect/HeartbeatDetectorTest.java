package io.flock.membership.internal.detect;

import static io.flock.membership.internal.detect.FailureDetector.Health.ALIVE;
import static io.flock.membership.internal.detect.FailureDetector.Health.DOWN;
import static io.flock.membership.internal.detect.FailureDetector.Health.UNREACHABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.NodeId;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** On a simulated clock: {@code ms} is a millisecond in nanoseconds. */
class HeartbeatDetectorTest {
  private static final long MS = 1_000_000L;
  private static final NodeId P = new NodeId("p", "127.0.0.1", 7000, 1);

  private final HeartbeatDetector d =
      new HeartbeatDetector(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofMillis(1800));

  @Test
  void silenceMakesAPeerUnreachableThenDown() {
    long t = 1_000 * MS;
    d.heard(P, t);
    for (long now = t; now <= t + 2_000 * MS; now += 200 * MS) {
      d.tick(now);
    }
    assertThat(d.health(P, t + 900 * MS)).isEqualTo(ALIVE);
    assertThat(d.health(P, t + 1_100 * MS)).isEqualTo(UNREACHABLE);
    assertThat(d.health(P, t + 1_900 * MS)).isEqualTo(DOWN);
    d.heard(P, t + 2_000 * MS);
    assertThat(d.health(P, t + 2_000 * MS)).isEqualTo(ALIVE);
  }

  @Test
  void ownStallIsNotBlamedOnPeers() {
    long t = 1_000 * MS;
    d.heard(P, t);
    d.tick(t);
    d.tick(t + 3_000 * MS); // this node was stalled for ~3 s
    assertThat(d.health(P, t + 3_000 * MS)).isEqualTo(ALIVE);
  }

  @Test
  void aPeerLastHeardLongBeforeTheStallStillCountsAsHeardWhenThisNodeWakes() {
    long t = 1_000 * MS;
    d.heard(P, t);
    d.tick(t + 1_500 * MS); // silent for 1.5 s, then this node stalls for 3 s
    d.tick(t + 4_500 * MS);
    assertThat(d.health(P, t + 4_500 * MS)).isEqualTo(ALIVE);
    assertThat(d.health(P, t + 6_400 * MS)).isEqualTo(DOWN); // and silence counts again from then
  }

  @Test
  void aStallBeforeTheFirstPeriodicTickIsStillThisNodesOwnSilence() {
    long t = 1_000 * MS;
    d.tick(t); // the reference tick at start
    d.heard(P, t + 50 * MS);
    d.tick(t + 3_100 * MS); // the first periodic tick comes only after a 3 s stall
    assertThat(d.health(P, t + 3_100 * MS)).isEqualTo(ALIVE);
  }

  @Test
  void aPeerNeverHeardGetsTheFullTimeoutFromFirstSight() {
    assertThat(d.health(P, 5 * MS)).isEqualTo(ALIVE);
    assertThat(d.health(P, 1_000 * MS)).isEqualTo(ALIVE);
    assertThat(d.health(P, 1_900 * MS)).isEqualTo(DOWN);
    d.forget(P);
    assertThat(d.health(P, 2_000 * MS)).isEqualTo(ALIVE);
  }

  @Test
  void timingsMustBeOrdered() {
    assertThatThrownBy(
            () ->
                new HeartbeatDetector(
                    Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heartbeat < unreachable < down");
  }
}
