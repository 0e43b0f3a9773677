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
class TellDeadlinesTest {
  private static CompletableFuture<Object> tell(TellDeadlines deadlines, Duration timeout) {
    CompletableFuture<Object> f = new CompletableFuture<>();
    deadlines.add(System.nanoTime() + timeout.toNanos(), f);
    return f;
  }

  @Test
  void anUnansweredTellFailsTimedOutByItsDeadlineAndNotBefore() {
    long t0 = System.nanoTime();
    CompletableFuture<Object> f =
        tell(new TellDeadlines(Duration.ofMillis(300)), Duration.ofMillis(300));
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            MessageException.class, e -> assertThat(e.outcome()).isEqualTo(Outcome.TIMED_OUT));
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
  }

  @Test
  void anAnsweredTellKeepsItsAnswerAndLeavesTheQueue() {
    TellDeadlines deadlines = new TellDeadlines(Duration.ofMillis(100));
    CompletableFuture<Object> f = tell(deadlines, Duration.ofMillis(100));
    f.complete(null);
    TestCluster.await(Duration.ofSeconds(5), () -> deadlines.queued() == 0, "the queue empties");
    assertThat(f.isCompletedExceptionally()).isFalse();
    assertThat(deadlines.queued()).isZero();
  }

  @Test
  void answeredTellsBehindOneHeldBackDoNotPileUp() {
    TellDeadlines deadlines = new TellDeadlines(Duration.ofSeconds(20));
    CompletableFuture<Object> held = tell(deadlines, Duration.ofSeconds(20));
    for (int i = 0; i < 3 * TellDeadlines.COMPACT_AT; i++) {
      tell(deadlines, Duration.ofSeconds(20)).complete(null);
    }
    TestCluster.await(
        Duration.ofSeconds(5), () -> deadlines.queued() <= 1, "the answered tells leave");
    assertThat(deadlines.queued()).isEqualTo(1);
    assertThat(held).isNotDone();
  }
}
