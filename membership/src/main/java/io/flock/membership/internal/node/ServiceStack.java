package io.flock.membership.internal.node;

import io.flock.membership.Cluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The services on top of a node (distributed supervisors), stopped before it leaves and closed
 * before it closes, the last registered first (Pekko's coordinated shutdown, one phase).
 *
 * <p>Threading: any thread.
 */
public final class ServiceStack {
  private static final Logger log = LoggerFactory.getLogger(ServiceStack.class);

  private final String node;
  private final List<Cluster.Service> services = new CopyOnWriteArrayList<>();

  public ServiceStack(String node) {
    this.node = node;
  }

  public void add(Cluster.Service s) {
    services.add(s);
  }

  public void remove(Cluster.Service s) {
    services.remove(s);
  }

  /**
   * Stops every service in turn, each within what is left until {@code deadline} (nanoTime); one
   * that fails or times out is closed and the next one stops anyway. Never fails.
   *
   * @return completes with whether every service stopped gracefully (handed its work over)
   */
  public CompletableFuture<Boolean> stopAll(long deadline) {
    CompletableFuture<Boolean> done = CompletableFuture.completedFuture(true);
    for (Cluster.Service s : reversed()) {
      done =
          done.thenCompose(
              clean ->
                  s.stop(remaining(deadline))
                      .thenApply(v -> clean)
                      .exceptionally(
                          e -> {
                            log.warn("[{}] a service did not stop: {}", node, e.toString());
                            s.close();
                            return false;
                          }));
    }
    return done;
  }

  /**
   * Tells every service that this incarnation is down: each stops its work now; completes when all
   * of them did (a failing one is logged and counts as done). Never fails.
   */
  public CompletableFuture<Void> stopWorkAll() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Cluster.Service s : reversed()) {
      CompletableFuture<Void> f;
      try {
        f = s.stopWork();
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      all.add(
          f.exceptionally(
              e -> {
                log.warn("[{}] a service did not stop its work: {}", node, e.toString());
                return null;
              }));
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  /** Closes every service at once. */
  public void closeAll() {
    for (Cluster.Service s : reversed()) {
      try {
        s.close();
      } catch (RuntimeException e) {
        log.warn("[{}] a service failed to close", node, e);
      }
    }
  }

  /** What is left until {@code deadline}, at least 1 ms. */
  public static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
  }

  private List<Cluster.Service> reversed() {
    List<Cluster.Service> r = new ArrayList<>(services);
    Collections.reverse(r);
    return r;
  }
}
