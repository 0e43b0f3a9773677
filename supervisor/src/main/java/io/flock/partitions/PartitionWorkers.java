package io.flock.partitions;

import static java.util.Objects.requireNonNull;

import io.flock.supervisor.ChildFactory;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.SupervisorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntFunction;

/**
 * Keeps one worker per partition of a named source running across the cluster (Elsa's worker
 * supervisor on a {@link DistributedSupervisor}): each partition is one child, placed and moved by
 * the supervisor's strategy and redistribution, and each resumes from its partition's last
 * acknowledged position (its checkpoint), else from {@link PartitionWorker#initialPosition}. Every
 * assignment carries its generation ({@link PartitionContext#generation}), so a sink can refuse a
 * stale copy; with the quorum strategy a copy whose node lost its lease can no longer save.
 *
 * <pre>{@code
 * DistributedSupervisor workers = DistributedSupervisor.builder("workers", cluster)
 *     .strategy(DistributionStrategy.uniformQuorum())
 *     .factory(PartitionWorkers.factoryName("orders"), PartitionWorkers.factory(p -> new OrderWorker(p)))
 *     .start();
 * PartitionWorkers orders = PartitionWorkers.start("orders", 8, workers).join();
 * }</pre>
 *
 * Register the factory on every node; {@link #start} may be called on any number of nodes (the
 * partitions already placed stay where they are). Delivery is at least once: a copy that crashes or
 * is killed processes again what it acknowledged after its last save; a graceful move (stop, leave,
 * active redistribution) hands the exact position over, so nothing is processed twice.
 *
 * <p>Threading: any thread; the futures complete on the supervisor's threads.
 */
public final class PartitionWorkers {
  /** The child spec argument naming the source. */
  public static final String ARG_SOURCE = "flock.source";

  /** The child spec argument naming the partition. */
  public static final String ARG_PARTITION = "flock.partition";

  /** The most partitions one source takes. */
  public static final int MAX_PARTITIONS = 65_536;

  private final String source;
  private final int partitions;
  private final DistributedSupervisor supervisor;

  private PartitionWorkers(String source, int partitions, DistributedSupervisor supervisor) {
    this.source = source;
    this.partitions = partitions;
    this.supervisor = supervisor;
  }

  /** The factory name under which {@link #factory} is registered for {@code source}. */
  public static String factoryName(String source) {
    return "partitions." + checkSource(source);
  }

  /** The child id of a partition: {@code source/partition}. */
  public static String childId(String source, int partition) {
    return checkSource(source) + "/" + partition;
  }

  /**
   * The child factory of a source's partitions: {@code workers} makes the worker of a partition for
   * each new copy of it.
   */
  public static ChildFactory factory(IntFunction<PartitionWorker> workers) {
    requireNonNull(workers, "workers");
    return spec -> new PartitionChild(workers);
  }

  /**
   * Places one child per partition of {@code source} (those placed already stay); completes once
   * every partition is placed and running.
   *
   * @return fails as {@link DistributedSupervisor#startChild} fails (but not for a partition that
   *     runs already)
   * @throws IllegalArgumentException if {@code source} is blank or holds '/', or {@code partitions}
   *     is not within 1 and {@link #MAX_PARTITIONS}
   */
  public static CompletableFuture<PartitionWorkers> start(
      String source, int partitions, DistributedSupervisor supervisor) {
    checkSource(source);
    if (partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new IllegalArgumentException(
          "partitions must be within 1 and " + MAX_PARTITIONS + ", was " + partitions);
    }
    requireNonNull(supervisor, "supervisor");
    List<CompletableFuture<?>> starts = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      ChildSpec spec =
          ChildSpec.of(childId(source, p), factoryName(source))
              .withArgs(Map.of(ARG_SOURCE, source, ARG_PARTITION, Integer.toString(p)));
      starts.add(
          supervisor
              .startChild(spec)
              .exceptionallyCompose(
                  e -> {
                    Throwable cause = e instanceof CompletionException c ? c.getCause() : e;
                    return cause instanceof SupervisorException s
                            && s.reason() == SupervisorException.Reason.ALREADY_STARTED
                        ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.failedFuture(cause == null ? e : cause);
                  }));
    }
    return CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new))
        .thenApply(v -> new PartitionWorkers(source, partitions, supervisor));
  }

  /** The source's name. */
  public String source() {
    return source;
  }

  /** The number of partitions. */
  public int partitions() {
    return partitions;
  }

  /** Where each partition is assigned now (partition → its child), from the replicated state. */
  public CompletableFuture<Map<Integer, ChildRef>> assignments() {
    String prefix = source + "/";
    return supervisor
        .whichChildren()
        .thenApply(
            refs -> {
              Map<Integer, ChildRef> out = new TreeMap<>();
              for (ChildRef r : refs) {
                if (r.id().startsWith(prefix)) {
                  try {
                    int p = Integer.parseInt(r.id().substring(prefix.length()));
                    if (p < partitions) {
                      out.put(p, r);
                    }
                  } catch (NumberFormatException notOurs) {
                    // another child whose id starts like ours
                  }
                }
              }
              return out;
            });
  }

  /** Stops every partition for good (their positions are forgotten). */
  public CompletableFuture<Void> terminate() {
    List<CompletableFuture<?>> all = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      all.add(supervisor.terminateChild(childId(source, p)).exceptionally(e -> null));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  private static String checkSource(String source) {
    requireNonNull(source, "source");
    if (source.isBlank() || source.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "source must be non-blank without '/', was '" + source + "'");
    }
    return source;
  }
}
