package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalSupervisorTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Events as they arrive. */
  private final BlockingQueue<SupervisorEvent> events = new LinkedBlockingQueue<>();

  /** Per child id: how many times it has run. */
  private final Map<String, AtomicInteger> runs = new java.util.concurrent.ConcurrentHashMap<>();

  private final AtomicLong nanos = new AtomicLong();
  private LocalSupervisor supervisor = newSupervisor(3);

  private LocalSupervisor newSupervisor(int maxRestarts) {
    return LocalSupervisor.builder("test")
        .node("node-1")
        .intensity(maxRestarts, Duration.ofSeconds(5))
        .nanoClock(nanos::get)
        .listener(events::add)
        .factory("returns", spec -> ctx -> count(ctx))
        .factory(
            "crashes",
            spec ->
                ctx -> {
                  count(ctx);
                  throw new IllegalStateException("boom");
                })
        .factory(
            "blocks",
            spec ->
                ctx -> {
                  count(ctx);
                  Thread.sleep(Long.MAX_VALUE);
                })
        .factory(
            "deaf",
            spec ->
                ctx -> {
                  count(ctx);
                  while (!"done".equals(ctx.args().get("until"))) {
                    try {
                      Thread.sleep(50);
                    } catch (InterruptedException ignored) {
                      // ignores interrupts on purpose
                    }
                  }
                })
        .factory(
            "once-then-block",
            spec ->
                ctx -> {
                  if (count(ctx) == 1) {
                    throw new IllegalStateException("first run fails");
                  }
                  Thread.sleep(Long.MAX_VALUE);
                })
        .build();
  }

  private int count(ChildContext ctx) {
    return runs.computeIfAbsent(ctx.id(), k -> new AtomicInteger()).incrementAndGet();
  }

  private int runsOf(String id) {
    AtomicInteger n = runs.get(id);
    return n == null ? 0 : n.get();
  }

  @AfterEach
  void stop() {
    supervisor.stop().orTimeout(20, TimeUnit.SECONDS).join();
  }

  private <T extends SupervisorEvent> T next(Class<T> type) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      SupervisorEvent e = events.poll(100, TimeUnit.MILLISECONDS);
      if (type.isInstance(e)) {
        return type.cast(e);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " within " + WAIT);
  }

  private static SupervisorException failure(CompletableFuture<?> future) {
    try {
      future.orTimeout(10, TimeUnit.SECONDS).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SupervisorException s) {
        return s;
      }
      throw e;
    }
    throw new AssertionError("expected a failure");
  }

  /** Restart type × exit kind: whether the child runs a second time. */
  @ParameterizedTest
  @CsvSource({
    "PERMANENT, returns, true",
    "PERMANENT, crashes, true",
    "TRANSIENT, returns, false",
    "TRANSIENT, crashes, true",
    "TEMPORARY, returns, false",
    "TEMPORARY, crashes, false"
  })
  void restartTypeDecidesAfterEachExitKind(Restart restart, String factory, boolean restarts)
      throws Exception {
    supervisor = newSupervisor(1_000);
    ChildSpec spec = ChildSpec.of("c", factory).withRestart(restart);
    supervisor.startChild(spec).join();
    SupervisorEvent.Exited exit = next(SupervisorEvent.Exited.class);
    assertThat(exit.normal()).isEqualTo(factory.equals("returns"));
    if (restarts) {
      await().atMost(WAIT).until(() -> runsOf("c") >= 2);
      assertThat(next(SupervisorEvent.Restarting.class).id()).isEqualTo("c");
    } else {
      await().atMost(WAIT).until(() -> supervisor.countChildren().join().specs() == 0);
      assertThat(runsOf("c")).isEqualTo(1);
    }
  }

  @Test
  void stoppingIsNeverARestart() throws Exception {
    supervisor.startChild(ChildSpec.of("c", "blocks")).join();
    supervisor.terminateChild("c").join();
    assertThat(next(SupervisorEvent.Stopped.class).id()).isEqualTo("c");
    assertThat(supervisor.whichChildren().join()).isEmpty();
    assertThat(runsOf("c")).isEqualTo(1);
  }

  @Test
  void restartsWithinTheWindowUpToTheLimitAreFine() throws Exception {
    supervisor.startChild(ChildSpec.of("c", "once-then-block")).join();
    await().atMost(WAIT).until(() -> runsOf("c") == 2);
    supervisor.startChild(ChildSpec.of("d", "once-then-block")).join();
    await().atMost(WAIT).until(() -> runsOf("d") == 2);
    supervisor.startChild(ChildSpec.of("e", "once-then-block")).join();
    await().atMost(WAIT).until(() -> runsOf("e") == 2);
    assertThat(supervisor.escalated().join()).isFalse();
    assertThat(supervisor.countChildren().join().active()).isEqualTo(3);
  }

  @Test
  void oneRestartTooManyWithinTheWindowEscalates() throws Exception {
    // 3 restarts at t=0..2s are allowed; the 4th at 4.9 s is one too many.
    for (int i = 0; i < 3; i++) {
      nanos.set(Duration.ofSeconds(i).toNanos());
      String id = "c" + i;
      supervisor.startChild(ChildSpec.of(id, "once-then-block")).join();
      await().atMost(WAIT).until(() -> runsOf(id) == 2);
    }
    supervisor.startChild(ChildSpec.of("keeps-running", "blocks")).join();
    nanos.set(Duration.ofMillis(4_900).toNanos());
    supervisor.startChild(ChildSpec.of("c3", "once-then-block")).join();
    SupervisorEvent.Escalated escalated = next(SupervisorEvent.Escalated.class);
    assertThat(escalated.restarts()).isEqualTo(4);
    await().atMost(WAIT).until(() -> supervisor.whichChildren().join().isEmpty());
    assertThat(supervisor.escalated().join()).isTrue();
    assertThat(failure(supervisor.startChild(ChildSpec.of("new", "blocks"))).reason())
        .isEqualTo(SupervisorException.Reason.STOPPED);
  }

  @Test
  void restartsSpreadBeyondTheWindowNeverEscalate() throws Exception {
    for (int i = 0; i < 10; i++) {
      nanos.set(Duration.ofSeconds(2L * i).toNanos());
      String id = "c" + i;
      supervisor.startChild(ChildSpec.of(id, "once-then-block")).join();
      await().atMost(WAIT).until(() -> runsOf(id) == 2);
    }
    assertThat(supervisor.escalated().join()).isFalse();
  }

  @Test
  void otherSupervisorsAreUntouchedByAnEscalation() throws Exception {
    try (LocalSupervisor other =
        LocalSupervisor.builder("other")
            .factory("blocks", s -> ctx -> Thread.sleep(100_000))
            .build()) {
      other.startChild(ChildSpec.of("x", "blocks")).join();
      supervisor = newSupervisor(0);
      supervisor.startChild(ChildSpec.of("c", "crashes")).join();
      next(SupervisorEvent.Escalated.class);
      assertThat(other.countChildren().join().active()).isEqualTo(1);
    }
  }

  @Test
  void childIgnoringInterruptsIsAbandonedAndTheSupervisorGoesOn() throws Exception {
    ChildSpec deaf =
        ChildSpec.of("deaf", "deaf").withShutdown(Shutdown.timeout(Duration.ofMillis(200)));
    supervisor.startChild(deaf).join();
    await().atMost(WAIT).until(() -> runsOf("deaf") == 1);
    long t0 = System.nanoTime();
    supervisor.terminateChild("deaf").join();
    assertThat(Duration.ofNanos(System.nanoTime() - t0))
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(next(SupervisorEvent.Abandoned.class).id()).isEqualTo("deaf");
    supervisor.startChild(ChildSpec.of("next", "blocks")).join();
    assertThat(supervisor.countChildren().join().active()).isEqualTo(1);
  }

  @Test
  void brutalShutdownDoesNotWaitTimeoutShutdownDoes() throws Exception {
    supervisor.startChild(ChildSpec.of("b", "deaf").withShutdown(Shutdown.brutal())).join();
    supervisor
        .startChild(
            ChildSpec.of("t", "blocks").withShutdown(Shutdown.timeout(Duration.ofSeconds(5))))
        .join();
    await().atMost(WAIT).until(() -> runsOf("b") == 1 && runsOf("t") == 1);
    long t0 = System.nanoTime();
    supervisor.terminateChild("b").join();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
    assertThat(next(SupervisorEvent.Stopped.class).id()).isEqualTo("b");
    supervisor.terminateChild("t").join(); // ends at once: it honours the interrupt
    assertThat(next(SupervisorEvent.Stopped.class).id()).isEqualTo("t");
  }

  @Test
  void closeCalledFromAListenerDoesNotDeadlock() throws Exception {
    java.util.concurrent.atomic.AtomicReference<LocalSupervisor> self =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    supervisor.close();
    supervisor =
        LocalSupervisor.builder("closes-itself")
            .factory("blocks", s -> ctx -> Thread.sleep(100_000))
            .listener(
                e -> {
                  if (e instanceof SupervisorEvent.Started) {
                    java.util.Objects.requireNonNull(self.get()).close();
                    closed.countDown();
                  }
                })
            .build();
    self.set(supervisor);
    supervisor.startChild(ChildSpec.of("a", "blocks")).get(10, TimeUnit.SECONDS);
    assertThat(awaitLatch(closed)).as("close() returned inside the listener").isTrue();
    assertThat(failure(supervisor.startChild(ChildSpec.of("b", "blocks"))).reason())
        .isEqualTo(SupervisorException.Reason.STOPPED);
  }

  private static boolean awaitLatch(java.util.concurrent.CountDownLatch latch) {
    try {
      return latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void maxChildrenAndOtherErrorsAreClear() {
    supervisor =
        LocalSupervisor.builder("small")
            .maxChildren(2)
            .factory("blocks", s -> ctx -> Thread.sleep(100_000))
            .build();
    supervisor.startChild(ChildSpec.of("a", "blocks")).join();
    supervisor.startChild(ChildSpec.of("b", "blocks")).join();
    assertThat(failure(supervisor.startChild(ChildSpec.of("c", "blocks"))).reason())
        .isEqualTo(SupervisorException.Reason.MAX_CHILDREN);
    SupervisorException dup = failure(supervisor.startChild(ChildSpec.of("a", "blocks")));
    assertThat(dup.reason()).isEqualTo(SupervisorException.Reason.ALREADY_STARTED);
    assertThat(dup.existing()).isNull(); // a local supervisor has no placement
    assertThat(dup.existingLocal()).extracting(ChildInfo::id).isEqualTo("a");
    assertThat(failure(supervisor.terminateChild("zzz")).reason())
        .isEqualTo(SupervisorException.Reason.NOT_FOUND);
    supervisor.terminateChild("a").join();
    assertThat(failure(supervisor.startChild(ChildSpec.of("u", "no-such"))).reason())
        .isEqualTo(SupervisorException.Reason.UNKNOWN_FACTORY);
  }

  @Test
  void specsNameTheirBadField() {
    assertThatThrownBy(() -> ChildSpec.of("", "f")).hasMessageContaining("id");
    assertThatThrownBy(() -> ChildSpec.of("x", "")).hasMessageContaining("factory");
    assertThatThrownBy(() -> new Shutdown.Timeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("timeout");
    assertThatThrownBy(() -> LocalSupervisor.builder("x").intensity(-1, Duration.ofSeconds(1)))
        .hasMessageContaining("maxRestarts");
    assertThatThrownBy(() -> LocalSupervisor.builder("x").maxChildren(0))
        .hasMessageContaining("maxChildren");
  }

  @Test
  void restartChildStartsTheNextIncarnation() throws Exception {
    supervisor.startChild(ChildSpec.of("c", "blocks")).join();
    ChildInfo info = supervisor.restartChild("c").join();
    assertThat(info.incarnation()).isEqualTo(2);
    await().atMost(WAIT).until(() -> runsOf("c") == 2);
  }

  @Test
  void contextCarriesIdentity() throws Exception {
    BlockingQueue<ChildContext> seen = new LinkedBlockingQueue<>();
    supervisor =
        LocalSupervisor.builder("ctx")
            .node("node-7")
            .factory("peek", s -> ctx -> seen.add(ctx))
            .build();
    supervisor
        .startChild(
            ChildSpec.of("c", "peek").withArgs(Map.of("k", "v")).withRestart(Restart.TEMPORARY), 42)
        .join();
    ChildContext ctx = seen.poll(10, TimeUnit.SECONDS);
    assertThat(ctx).isNotNull();
    assertThat(ctx.id()).isEqualTo("c");
    assertThat(ctx.node()).isEqualTo("node-7");
    assertThat(ctx.generation()).isEqualTo(42);
    assertThat(ctx.incarnation()).isEqualTo(1);
    assertThat(ctx.args()).containsEntry("k", "v");
    assertThat(ctx.stopRequested()).isFalse();
  }

  @Test
  void tenThousandChildrenStartAndStopConcurrentlyWithoutLeakingThreads() throws Exception {
    AtomicInteger running = new AtomicInteger();
    CountDownLatch allStarted = new CountDownLatch(10_000);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    supervisor =
        LocalSupervisor.builder("many")
            .meters(meters)
            .factory(
                "wait",
                s ->
                    ctx -> {
                      running.incrementAndGet();
                      allStarted.countDown();
                      try {
                        Thread.sleep(Long.MAX_VALUE);
                      } finally {
                        running.decrementAndGet();
                      }
                    })
            .build();
    List<CompletableFuture<ChildInfo>> starts = new java.util.ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      starts.add(supervisor.startChild(ChildSpec.of("c" + i, "wait")));
    }
    CompletableFuture.allOf(starts.toArray(new CompletableFuture<?>[0])).join();
    assertThat(allStarted.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(supervisor.countChildren().join().active()).isEqualTo(10_000);
    assertThat(meters.get("flock.children.active").gauge().value()).isEqualTo(10_000);
    supervisor.stop().join();
    assertThat(running.get()).as("child threads still running").isZero();
    await()
        .atMost(WAIT)
        .until(
            () ->
                Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("flock-supervisor-many")));
  }

  @Test
  void throwingListenerIsContained() throws Exception {
    BlockingQueue<SupervisorEvent> seen = new LinkedBlockingQueue<>();
    supervisor =
        LocalSupervisor.builder("l")
            .listener(
                e -> {
                  throw new IllegalStateException("listener bug");
                })
            .listener(seen::add)
            .factory("returns", s -> ctx -> {})
            .build();
    supervisor.startChild(ChildSpec.of("c", "returns").withRestart(Restart.TEMPORARY)).join();
    assertThat(seen.poll(10, TimeUnit.SECONDS)).isInstanceOf(SupervisorEvent.Started.class);
    assertThat(seen.poll(10, TimeUnit.SECONDS)).isInstanceOf(SupervisorEvent.Exited.class);
    supervisor.startChild(ChildSpec.of("d", "returns").withRestart(Restart.TEMPORARY)).join();
    assertThat(seen.poll(10, TimeUnit.SECONDS)).isInstanceOf(SupervisorEvent.Started.class);
  }

  @Test
  void lifecycleTableRefusesIllegalMoves() {
    assertThat(ChildState.RUNNING.canMoveTo(ChildState.STOPPING)).isTrue();
    assertThat(ChildState.STOPPED.canMoveTo(ChildState.RUNNING)).isFalse();
    assertThatThrownBy(() -> ChildState.ABANDONED.moveTo(ChildState.STARTING))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ABANDONED -> STARTING");
  }
}
