package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ChildContext} of one incarnation of a child: what it is, where it runs, and whether it
 * is still the current copy (asked of the supervisor's currency rule, lock-free).
 *
 * <p>Threading: any thread; {@link #requestStop} is the supervisor's.
 */
class IncarnationContext implements ChildContext {
  private static final Logger childLog = LoggerFactory.getLogger("io.flock.child");

  private final ChildSpec spec;
  private final long generation;
  private final int incarnation;
  private final String node;
  private final BiPredicate<String, Long> currency;
  private final Mailboxes mailboxes;
  private final CheckpointStore checkpoints;
  private volatile boolean stopRequested;

  IncarnationContext(
      ChildSpec spec,
      long generation,
      int incarnation,
      String node,
      BiPredicate<String, Long> currency,
      Mailboxes mailboxes,
      CheckpointStore checkpoints) {
    this.spec = spec;
    this.generation = generation;
    this.incarnation = incarnation;
    this.node = node;
    this.currency = currency;
    this.mailboxes = mailboxes;
    this.checkpoints = checkpoints;
  }

  /** The supervisor asked this incarnation to stop. */
  final void requestStop() {
    stopRequested = true;
  }

  @Override
  public final String id() {
    return spec.id();
  }

  @Override
  public final Map<String, String> args() {
    return spec.args();
  }

  @Override
  public final String node() {
    return node;
  }

  @Override
  public final long generation() {
    return generation;
  }

  @Override
  public final int incarnation() {
    return incarnation;
  }

  @Override
  public final boolean stopRequested() {
    return stopRequested;
  }

  @Override
  public final boolean isCurrent() {
    return !stopRequested && currency.test(spec.id(), generation);
  }

  @Override
  public final @Nullable Envelope receive(Duration timeout) throws InterruptedException {
    java.util.Objects.requireNonNull(timeout, "timeout");
    if (!isCurrent()) {
      Thread.sleep(timeout.toMillis()); // a copy that is no longer current receives nothing
      return null;
    }
    return mailboxes.receive(spec.id(), generation, timeout);
  }

  @Override
  public final CompletableFuture<Checkpoint> save(byte[] state) {
    requireNonNull(state, "state");
    int max = checkpoints.maxStateBytes();
    if (state.length > max) {
      throw new IllegalArgumentException(
          "state is " + state.length + " bytes, over the " + max + " a checkpoint takes");
    }
    return checkpoints.save(spec.id(), generation, state.clone());
  }

  @Override
  public final @Nullable Checkpoint load() throws InterruptedException {
    try {
      return checkpoints.load(spec.id()).get();
    } catch (ExecutionException e) {
      throw asSupervisorException(e);
    }
  }

  @Override
  public final Checkpoint handOff(byte[] state) {
    CompletableFuture<Checkpoint> saved = save(state);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return saved.get();
        } catch (InterruptedException e) {
          interrupted = true; // the stop interrupts this thread: the hand-off still completes
        } catch (ExecutionException e) {
          throw asSupervisorException(e);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public final int maxCheckpointBytes() {
    return checkpoints.maxStateBytes();
  }

  private static RuntimeException asSupervisorException(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof RuntimeException r) {
      return r;
    }
    return new SupervisorException(
        SupervisorException.Reason.TIMEOUT, String.valueOf(cause), cause);
  }

  @Override
  public final Logger log() {
    return childLog;
  }
}
