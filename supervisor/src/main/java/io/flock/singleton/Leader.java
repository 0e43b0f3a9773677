package io.flock.singleton;

import io.flock.membership.ClusterEvent;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The callbacks of one leadership term (Stoker's callback module). A new instance is made for every
 * term, on the node that became leader, by the {@link Singleton.Builder#leader} supplier.
 *
 * <p>Threading: every callback of a term runs on that term's own thread (a virtual thread of the
 * singleton's supervisor), one at a time, in this order: {@link #onLeader}, then any number of
 * {@link #onClusterChange} and {@link #onTimer}, then {@link #onShutdown} exactly once. Two terms
 * never overlap in the cluster: a term's {@link #onShutdown} returns (or its shutdown timeout
 * passes) before the next term's {@link #onLeader} begins anywhere. A callback that throws is
 * logged and the term goes on; a blocking callback delays the ones after it.
 *
 * <p>Interrupts: when the term must end (lease lost, hand-over) the thread is interrupted; blocking
 * calls in {@link #onLeader}, {@link #onClusterChange} or {@link #onTimer} should let the {@link
 * InterruptedException} out. {@link #onShutdown} runs with the interrupt cleared and must return
 * within the singleton's shutdown timeout.
 */
public interface Leader {
  /** This node's instance became the leader. */
  void onLeader(LeaderContext context) throws Exception;

  /**
   * A membership change seen by the leader's node: {@code MemberUp}, {@code MemberDown}, {@code
   * MemberLeft}, {@code MemberRemoved}, {@code Reincarnated}, {@code Unreachable}, {@code
   * Reachable}. The default does nothing.
   */
  default void onClusterChange(LeaderContext context, ClusterEvent event) throws Exception {}

  /**
   * The delay until the next {@link #onTimer}, asked after {@link #onLeader} and after each {@link
   * #onTimer} (Stoker's {@code next_timer_in}); null (the default) for no timer.
   */
  default @Nullable Duration nextTimer() {
    return null;
  }

  /** The timer fired. The default does nothing. */
  default void onTimer(LeaderContext context) throws Exception {}

  /** The term ends, for {@code reason}. The default does nothing. */
  default void onShutdown(LeaderContext context, ShutdownReason reason) throws Exception {}

  /**
   * The leader's state for {@link Singleton#status} on any node, asked after every other callback
   * (small strings: it is replicated). The default is empty.
   */
  default Map<String, String> dump() {
    return Map.of();
  }
}
