package io.flock.membership.internal.node;

import io.flock.membership.MemberStatus;
import io.flock.membership.internal.runtime.NodeRuntime;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A graceful leave: announce {@code LEAVING}, wait until every neighbour acknowledged this node's
 * writes, announce {@code LEFT}, wait again, then close on a thread of its own. Waits at most the
 * timeout for the acknowledgements; fails with the node if it closes meanwhile.
 */
public final class GracefulLeave {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(GracefulLeave.class);

  private GracefulLeave() {}

  /**
   * Starts leaving; completes when {@code LEFT} was flushed (the close follows).
   *
   * @param handedOver whether the services on top handed their work over (said in {@code LEFT})
   */
  public static CompletableFuture<Void> start(
      NodeRuntime runtime, ClusterNode node, Duration timeout, boolean handedOver, Runnable close) {
    CompletableFuture<Void> done = runtime.track(new CompletableFuture<>());
    long deadline = System.nanoTime() + timeout.toNanos();
    runtime.execute(
        () -> {
          node.writeOwnRecord(MemberStatus.LEAVING);
          whenFlushed(
              runtime,
              node,
              deadline,
              () -> {
                node.writeLeft(handedOver);
                whenFlushed(
                    runtime,
                    node,
                    deadline,
                    () -> {
                      done.complete(null);
                      Thread closer = new Thread(close, "flock-leave-" + node.self().name());
                      closer.setDaemon(true);
                      closer.start();
                    });
              });
        });
    return done;
  }

  private static void whenFlushed(
      NodeRuntime runtime, ClusterNode node, long deadline, Runnable then) {
    node.scopes().flushNow();
    if (node.scopes().acknowledged()) {
      then.run();
    } else if (System.nanoTime() > deadline) {
      log.warn(
          "[{}] leaving without every acknowledgement, the timeout passed; not acknowledged: {}",
          node.self().name(),
          node.scopes().unacknowledged());
      then.run();
    } else {
      runtime.schedule(() -> whenFlushed(runtime, node, deadline, then), Duration.ofMillis(10));
    }
  }
}
