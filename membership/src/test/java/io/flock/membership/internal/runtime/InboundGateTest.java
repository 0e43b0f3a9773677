package io.flock.membership.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboundGateTest {
  @Test
  void readingStopsAboveTheHighMarkAndResumesBelowTheLowMark() {
    List<Boolean> switched = new ArrayList<>();
    InboundGate gate = new InboundGate(3, 1, switched::add);
    for (int i = 0; i < 5; i++) {
      gate.enter();
    }
    assertThat(switched).containsExactly(false); // once, at the 4th
    for (int i = 0; i < 4; i++) {
      gate.leave();
    }
    assertThat(gate.backlog()).isEqualTo(1);
    assertThat(switched).containsExactly(false); // not yet below 1
    gate.leave();
    assertThat(switched).containsExactly(false, true);
  }
}
