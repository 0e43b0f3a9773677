package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScopeTest {
  static {
    NettyLeaks.install();
  }

  /** A scope used on one node only still settles: the others hold and acknowledge it. */
  @Test
  void scopeUsedOnOneNodeIsAcknowledgedAndGoesQuiet() throws Exception {
    try (TestCluster c = TestCluster.start(3)) {
      TestCluster.await(Duration.ofSeconds(20), c::converged, "up");
      Scope<String, String> s = c.node(0).scope("only-here");
      for (int i = 0; i < 500; i++) {
        s.put("k" + i, "v").join();
      }
      Thread.sleep(2_000);
      long before = c.node(0).bytesSent();
      Thread.sleep(2_000);
      long perSecond = (c.node(0).bytesSent() - before) / 2;
      // Idle: heartbeats and a few small statuses per scope and peer, no re-sent intervals.
      assertThat(perSecond).isLessThan(5_000);
      Scope<String, String> late = c.node(2).scope("only-here");
      assertThat(late.get("k499").join()).isEqualTo("v");
    }
  }
}
