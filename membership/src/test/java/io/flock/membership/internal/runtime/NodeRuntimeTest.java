package io.flock.membership.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.ClusterClosedException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NodeRuntimeTest {
  @Test
  void aPeriodicTaskThatThrowsKeepsRunning() throws Exception {
    try (NodeRuntime rt = new NodeRuntime("t", System::nanoTime, e -> {})) {
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch five = new CountDownLatch(5);
      rt.every(
          "flaky tick",
          Duration.ofMillis(5),
          () -> {
            five.countDown();
            if (runs.incrementAndGet() % 2 == 1) {
              throw new ClassCastException("a value of the wrong type");
            }
          });
      assertThat(five.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(rt.taskFailures()).isGreaterThanOrEqualTo(2);
      assertThat(rt.isClosed()).isFalse();
    }
  }

  @Test
  void anUrgentTaskRunsRightAfterTheTaskRunningNowAheadOfTheBacklog() throws Exception {
    try (NodeRuntime rt = new NodeRuntime("t", System::nanoTime, e -> {})) {
      CountDownLatch busy = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
      rt.execute(
          () -> {
            busy.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            order.add("running");
          });
      assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 3; i++) {
        String name = "queued-" + i;
        rt.execute(() -> order.add(name));
      }
      rt.executeUrgent("heartbeat", () -> order.add("urgent"));
      CountDownLatch done = new CountDownLatch(1);
      rt.execute(done::countDown);
      release.countDown();
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(order).containsExactly("running", "urgent", "queued-0", "queued-1", "queued-2");
    }
  }

  @Test
  void anUrgentTickIsTimedOffTheCoreAndNeverDoubled() throws Exception {
    try (NodeRuntime rt = new NodeRuntime("t", System::nanoTime, e -> {})) {
      AtomicInteger ticks = new AtomicInteger();
      rt.everyUrgent("tick", Duration.ofMillis(5), ticks::incrementAndGet);
      CountDownLatch stalled = new CountDownLatch(1);
      rt.execute(
          () -> {
            stalled.countDown();
            try {
              Thread.sleep(300); // 60 ticks due meanwhile
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      assertThat(stalled.await(10, TimeUnit.SECONDS)).isTrue();
      int before = ticks.get();
      CompletableFuture<Integer> after = rt.call(ticks::get);
      // One tick was waiting behind the stall, not sixty.
      assertThat(after.get(10, TimeUnit.SECONDS) - before).isBetween(0, 1);
    }
  }

  @Test
  void anErrorFailsTheRuntimeAndCallsOnFatalOnce() throws Exception {
    AtomicReference<Throwable> fatal = new AtomicReference<>();
    CountDownLatch called = new CountDownLatch(1);
    try (NodeRuntime rt =
        new NodeRuntime(
            "t",
            System::nanoTime,
            e -> {
              fatal.set(e);
              called.countDown();
            })) {
      rt.execute(
          () -> {
            throw new OutOfMemoryError("simulated");
          });
      assertThat(called.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(fatal.get()).isInstanceOf(OutOfMemoryError.class);
      assertThat(rt.isClosed()).isTrue();
      assertThatThrownBy(() -> rt.call(() -> 1).join())
          .hasCauseInstanceOf(ClusterClosedException.class);
    }
  }

  @Test
  void checkCoreAcceptsOnlyTheCoreThread() {
    try (NodeRuntime rt = new NodeRuntime("t", System::nanoTime, e -> {})) {
      assertThatThrownBy(rt::checkCore)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("core thread");
      assertThat(rt.call(() -> rt.isCoreThread()).join()).isTrue();
      assertThat(rt.call(() -> rt.nanoTime()).join()).isPositive();
    }
  }

  @Test
  void closeFailsTrackedFuturesAndLaterCalls() {
    NodeRuntime rt = new NodeRuntime("t", System::nanoTime, e -> {});
    CompletableFuture<String> waiting = rt.track(new CompletableFuture<>());
    rt.close();
    assertThatThrownBy(waiting::join).hasCauseInstanceOf(ClusterClosedException.class);
    assertThat(rt.call(() -> 1)).isCompletedExceptionally();
    assertThat(rt.track(new CompletableFuture<>())).isCompletedExceptionally();
    rt.execute(() -> {}); // dropped, no exception
  }

  @Test
  void theInjectedClockIsWhatProtocolCodeReads() {
    try (NodeRuntime rt = new NodeRuntime("t", () -> 42L, e -> {})) {
      assertThat(rt.nanoTime()).isEqualTo(42L);
    }
  }
}
