package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.EndpointException.Outcome;
import io.flock.testkit.TestCluster;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EndpointTest {
  static {
    NettyLeaks.install();
  }

  private static final Duration WAIT = Duration.ofSeconds(20);

  record Ping(int n) {}

  record Pong(int n, String by) {}

  private static final WireTypes TYPES =
      WireTypes.builder("endpoint-test").add(1000, Ping.class).add(1001, Pong.class).build();

  private static Outcome outcome(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof EndpointException ee) {
        return ee.outcome();
      }
      throw e;
    }
    throw new AssertionError("completed normally");
  }

  @Test
  @SuppressWarnings("FutureReturnValueIgnored") // the handler answers with a future on purpose
  void requestGetsTheHandlersAnswerAndSendDelivers() throws Exception {
    try (TestCluster c = TestCluster.start(2, b -> b.wireTypes(TYPES))) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      BlockingQueue<Ping> sent = new LinkedBlockingQueue<>();
      Endpoint<Ping> on0 = c.node(0).endpoint("ping", Ping.class, (from, p) -> null);
      c.node(1)
          .endpoint(
              "ping",
              Ping.class,
              (from, p) -> {
                assertThat(c.node(1).isCoreThread()).isTrue();
                sent.add(p);
                return new Pong(p.n() + 1, from.name());
              });
      Pong pong = on0.request(c.node(1).self(), new Ping(41), Pong.class, WAIT).join();
      assertThat(pong).isEqualTo(new Pong(42, "n0"));
      assertThat(on0.send(c.node(1).self(), new Ping(7))).isTrue();
      assertThat(sent.poll(10, TimeUnit.SECONDS)).isEqualTo(new Ping(41));
      assertThat(sent.poll(10, TimeUnit.SECONDS)).isEqualTo(new Ping(7));
      // A handler's CompletionStage is answered when it completes.
      var unusedLater =
          c.node(1)
              .endpoint(
                  "later",
                  String.class,
                  (from, s) -> {
                    CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> s + "!");
                    return answer;
                  });
      Endpoint<String> asker = c.node(0).endpoint("later", String.class, (from, s) -> null);
      assertThat(asker.request(c.node(1).self(), "hi", String.class, WAIT).join()).isEqualTo("hi!");
    }
  }

  @Test
  void aDirectRequestIsAnsweredWhileTheCallersCoreIsBusyAndAPlainOneWaitsForIt() throws Exception {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(1).endpoint("echo", String.class, (from, s) -> s + "!");
      Endpoint<String> asker = c.node(0).endpoint("echo", String.class, (from, s) -> s);
      try (AutoCloseable held = c.holdCore(0)) {
        CompletableFuture<String> plain = asker.request(c.node(1).self(), "a", String.class, WAIT);
        CompletableFuture<String> direct =
            asker.requestDirect(c.node(1).self(), "b", String.class, WAIT);
        assertThat(direct.get(10, TimeUnit.SECONDS)).isEqualTo("b!");
        // The plain answer was sent first on the same connection, so it was read before the direct
        // one: it waits on the held core.
        assertThat(plain).isNotDone();
        held.close();
        assertThat(plain.get(10, TimeUnit.SECONDS)).isEqualTo("a!");
      }
    }
  }

  /**
   * A direct handler answers on the network thread what it can while the receiver's core is held;
   * what it passes on ({@code ON_CORE}) waits for the core and is answered by the endpoint's
   * handler; one that throws fails that request only.
   */
  @Test
  void aDirectHandlerAnswersWithoutTheCoreAndPassesTheRestToIt() throws Exception {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(1)
          .endpoint(
              "echo",
              String.class,
              (from, s) -> s + " (core)",
              (from, s) -> {
                if (s.equals("bad")) {
                  throw new IllegalStateException("bad");
                }
                return s.startsWith("fast") ? s + " (direct)" : DirectHandler.ON_CORE;
              });
      Endpoint<String> asker = c.node(0).endpoint("echo", String.class, (from, s) -> s);
      NodeId to = c.node(1).self();
      try (AutoCloseable held = c.holdCore(1)) {
        CompletableFuture<String> slow = asker.requestDirect(to, "slow", String.class, WAIT);
        CompletableFuture<String> fast = asker.requestDirect(to, "fast", String.class, WAIT);
        assertThat(fast.get(10, TimeUnit.SECONDS)).isEqualTo("fast (direct)");
        assertThat(outcome(asker.requestDirect(to, "bad", String.class, WAIT)))
            .isEqualTo(Outcome.FAILED);
        assertThat(slow).isNotDone();
        held.close();
        assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("slow (core)");
      }
    }
  }

  record Unregistered(int n) {}

  @Test
  void encodedSizeChecksAMessageWithoutSendingIt() {
    try (TestCluster c = TestCluster.start(1, b -> b.wireTypes(TYPES).maxValueBytes(1024))) {
      Cluster node = c.node(0);
      assertThat(node.encodedSize(new Ping(1))).isPositive();
      assertThatThrownBy(() -> node.encodedSize(new Unregistered(1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(Unregistered.class.getName());
      assertThatThrownBy(() -> node.encodedSize("x".repeat(2000)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("maxValueBytes");
    }
  }

  @Test
  void aClosedEndpointFreesItsNameAndItsRequestsFailAtTheSender() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      Endpoint<String> first = c.node(1).endpoint("echo", String.class, (from, s) -> s);
      Endpoint<String> asker = c.node(0).endpoint("echo", String.class, (from, s) -> s);
      assertThat(asker.request(c.node(1).self(), "a", String.class, WAIT).join()).isEqualTo("a");
      first.close();
      assertThat(outcome(asker.request(c.node(1).self(), "b", String.class, WAIT)))
          .isEqualTo(Outcome.FAILED);
      c.node(1).endpoint("echo", String.class, (from, s) -> s + "!");
      assertThat(asker.request(c.node(1).self(), "c", String.class, WAIT).join()).isEqualTo("c!");
    }
  }

  @Test
  void theDeadlineIsHonouredWhenNoAnswerComes() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(1).endpoint("silent", String.class, (from, s) -> new CompletableFuture<String>());
      Endpoint<String> asker = c.node(0).endpoint("silent", String.class, (from, s) -> null);
      long start = System.nanoTime();
      CompletableFuture<String> f =
          asker.request(c.node(1).self(), "anyone?", String.class, Duration.ofMillis(300));
      assertThat(outcome(f)).isEqualTo(Outcome.TIMED_OUT);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThatThrownBy(() -> asker.request(c.node(1).self(), "x", String.class, Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("deadline");
    }
  }

  @Test
  void aShortDeadlineEndsOnTimeBehindALongerOneMadeBefore() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(1).endpoint("silent", String.class, (from, s) -> new CompletableFuture<String>());
      Endpoint<String> asker = c.node(0).endpoint("silent", String.class, (from, s) -> null);
      CompletableFuture<String> longer =
          asker.request(c.node(1).self(), "a", String.class, Duration.ofSeconds(60));
      long start = System.nanoTime();
      CompletableFuture<String> shorter =
          asker.requestDirect(c.node(1).self(), "b", String.class, Duration.ofMillis(200));
      assertThat(outcome(shorter)).isEqualTo(Outcome.TIMED_OUT);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(200));
      assertThat(took).isLessThan(Duration.ofSeconds(5));
      assertThat(longer).isNotDone();
    }
  }

  @Test
  void aThrowingHandlerIsContainedAndTheRequestFails() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(1)
          .endpoint(
              "boom",
              String.class,
              (from, s) -> {
                throw new IllegalStateException("handler bug");
              });
      Endpoint<String> asker = c.node(0).endpoint("boom", String.class, (from, s) -> null);
      CompletableFuture<String> f = asker.request(c.node(1).self(), "x", String.class, WAIT);
      assertThat(outcome(f)).isEqualTo(Outcome.FAILED);
      assertThatThrownBy(f::join).hasMessageContaining("handler bug");
      // The node goes on: another request to a working endpoint succeeds.
      c.node(1).endpoint("echo", String.class, (from, s) -> s);
      Endpoint<String> echo = c.node(0).endpoint("echo", String.class, (from, s) -> null);
      assertThat(echo.request(c.node(1).self(), "still", String.class, WAIT).join())
          .isEqualTo("still");
      assertThat(c.converged()).isTrue();
    }
  }

  @Test
  void aMessageForAnUnknownEndpointFailsTheRequestAndIsCounted() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      Endpoint<String> asker = c.node(0).endpoint("nobody-here", String.class, (from, s) -> null);
      CompletableFuture<String> f = asker.request(c.node(1).self(), "x", String.class, WAIT);
      assertThat(outcome(f)).isEqualTo(Outcome.FAILED);
      assertThatThrownBy(f::join).hasMessageContaining("no endpoint 'nobody-here'");
      assertThat(c.node(1).node().endpoints().unknownCount()).isEqualTo(1);
    }
  }

  @Test
  void aRequestToAnIncarnationThatRestartedFailsAsGoneBeforeItsDeadline() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(1).endpoint("hang", String.class, (from, s) -> new CompletableFuture<String>());
      Endpoint<String> asker = c.node(0).endpoint("hang", String.class, (from, s) -> null);
      NodeId old = c.node(1).self();
      CompletableFuture<String> f = asker.request(old, "x", String.class, Duration.ofMinutes(1));
      c.restart(1);
      TestCluster.await(WAIT, f::isDone, "the request resolved when n1 came back as new");
      assertThat(outcome(f)).isEqualTo(Outcome.GONE);
      // A message for the old incarnation is dropped by the new one, never handled.
      assertThat(outcome(asker.request(old, "again", String.class, Duration.ofMillis(500))))
          .isIn(Outcome.GONE, Outcome.TIMED_OUT);
    }
  }

  @Test
  void anUnencodableMessageFailsTheCallAtOnce() {
    try (TestCluster c = TestCluster.start(1)) {
      Endpoint<Object> any = c.node(0).endpoint("any", Object.class, (from, s) -> null);
      assertThatThrownBy(() -> any.send(c.node(0).self(), new Object()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("java.lang.Object");
      assertThatThrownBy(() -> c.node(0).endpoint("any", Object.class, (from, s) -> null))
          .hasMessageContaining("registered already");
    }
  }

  @Test
  void aRequestWaitingWhenTheNodeClosesFailsAsClosed() {
    try (TestCluster c = TestCluster.start(2)) {
      TestCluster.await(WAIT, c::converged, "2 nodes up");
      c.node(1).endpoint("hang", String.class, (from, s) -> new CompletableFuture<String>());
      Endpoint<String> asker = c.node(0).endpoint("hang", String.class, (from, s) -> null);
      CompletableFuture<String> f =
          asker.request(c.node(1).self(), "x", String.class, Duration.ofMinutes(1));
      c.kill(0);
      assertThat(outcome(f)).isEqualTo(Outcome.CLOSED);
    }
  }
}
