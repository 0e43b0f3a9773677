package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.supervisor.MessageException.Outcome;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DeadlinesTest {
  private static CompletableFuture<Object> call(Deadlines deadlines, Duration timeout) {
    CompletableFuture<Object> f = new CompletableFuture<>();
    deadlines.add(timeout, System.nanoTime() + timeout.toNanos(), f);
    return f;
  }

  private static void assertTimedOut(CompletableFuture<Object> f) {
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            MessageException.class, e -> assertThat(e.outcome()).isEqualTo(Outcome.TIMED_OUT));
  }

  @Test
  void anUnansweredCallFailsTimedOutByItsDeadlineAndNotBefore() {
    long t0 = System.nanoTime();
    CompletableFuture<Object> f = call(new Deadlines(), Duration.ofMillis(300));
    assertTimedOut(f);
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
  }

  @Test
  void aShortDeadlineIsNotHeldBehindALongerOneMadeBefore() {
    Deadlines deadlines = new Deadlines();
    CompletableFuture<Object> longer = call(deadlines, Duration.ofSeconds(20));
    long t0 = System.nanoTime();
    CompletableFuture<Object> shorter = call(deadlines, Duration.ofMillis(200));
    assertTimedOut(shorter);
    assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(5).toNanos());
    assertThat(longer).isNotDone();
    TestCluster.await( // the sweep that failed it removes its lane just after
        Duration.ofSeconds(5), () -> deadlines.lanes() == 1, "the short one's lane goes");
  }

  @Test
  void anAnsweredCallKeepsItsAnswerAndLeavesItsLane() {
    Deadlines deadlines = new Deadlines();
    CompletableFuture<Object> f = call(deadlines, Duration.ofMillis(100));
    f.complete(null);
    TestCluster.await(Duration.ofSeconds(5), () -> deadlines.queued() == 0, "the lane empties");
    assertThat(f.isCompletedExceptionally()).isFalse();
    assertThat(deadlines.lanes()).isZero();
  }

  @Test
  void answeredCallsBehindOneHeldBackDoNotPileUp() {
    Deadlines deadlines = new Deadlines();
    CompletableFuture<Object> held = call(deadlines, Duration.ofSeconds(20));
    for (int i = 0; i < 3 * Deadlines.COMPACT_AT; i++) {
      call(deadlines, Duration.ofSeconds(20)).complete(null);
    }
    TestCluster.await(
        Duration.ofSeconds(5), () -> deadlines.queued() <= 1, "the answered calls leave");
    assertThat(deadlines.queued()).isEqualTo(1);
    assertThat(held).isNotDone();
  }
}
