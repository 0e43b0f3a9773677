package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.supervisor.MessageException.Outcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TellDeadlinesTest {
  private final TellDeadlines deadlines = new TellDeadlines();

  private CompletableFuture<Object> tell(Duration timeout) {
    CompletableFuture<Object> f = new CompletableFuture<>();
    deadlines.add(System.nanoTime() + timeout.toNanos(), f, timeout);
    return f;
  }

  @Test
  void anUnansweredTellFailsTimedOutByItsDeadlineAndNotBefore() {
    long t0 = System.nanoTime();
    CompletableFuture<Object> f = tell(Duration.ofMillis(300));
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            MessageException.class, e -> assertThat(e.outcome()).isEqualTo(Outcome.TIMED_OUT));
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
  }

  @Test
  void anAnsweredTellKeepsItsAnswerAndLeavesTheQueue() throws Exception {
    CompletableFuture<Object> f = tell(Duration.ofMillis(100));
    f.complete(null);
    Thread.sleep(400);
    assertThat(f.isCompletedExceptionally()).isFalse();
    assertThat(deadlines.queued()).isZero();
  }

  @Test
  void answeredTellsBehindOneHeldBackDoNotPileUp() throws Exception {
    CompletableFuture<Object> held = tell(Duration.ofSeconds(20));
    for (int i = 0; i < 3 * TellDeadlines.COMPACT_AT; i++) {
      tell(Duration.ofSeconds(20)).complete(null);
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (deadlines.queued() > 1 && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertThat(deadlines.queued()).isEqualTo(1);
    assertThat(held).isNotDone();
  }
}
