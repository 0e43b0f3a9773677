package io.flock.supervisor;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/** What a running child knows about itself. Safe to use from the child's thread (and any other). */
public interface ChildContext {
  /** The child's id. */
  String id();

  /** The spec's arguments. */
  Map<String, String> args();

  /** The name of the node it runs on. */
  String node();

  /**
   * The generation of this placement: it grows every time the cluster places the child anew
   * (failover, move), so it serves as a fencing token. Local restarts keep it.
   */
  long generation();

  /** Which local (re)start this is: 1 for the first. */
  int incarnation();

  /** Whether the supervisor asked this child to stop (its thread is also interrupted). */
  boolean stopRequested();

  /**
   * Whether this copy is still the current one, cheaply, from the child's thread: it was not asked
   * to stop and, under a distributed supervisor, its node holds its lease and its placement still
   * names this node and this generation. Check it before each external effect. A process that was
   * paused can act for an instant after it resumes and before it checks: effects on outside systems
   * must also carry {@link #generation()} as a fencing token.
   */
  boolean isCurrent();

  /**
   * Throws unless {@link #isCurrent()}.
   *
   * @throws SupervisorException with reason {@link SupervisorException.Reason#FENCED}
   */
  default void ensureCurrent() {
    if (!isCurrent()) {
      throw new SupervisorException(
          SupervisorException.Reason.FENCED,
          "child " + id() + " generation " + generation() + " on " + node() + " is not current");
    }
  }

  /**
   * The next message sent to this child through its supervisor's {@link Messenger}, waiting up to
   * {@code timeout}; null if none came. Messages wait in a bounded mailbox (1,000 by default, see
   * {@link DistributedSupervisor.Builder#mailboxCapacity}) that is kept across local restarts and
   * forwarded on a graceful hand-over. A copy that is no longer current receives nothing.
   *
   * @throws InterruptedException if this thread is interrupted (the supervisor stops the child)
   */
  @Nullable Envelope receive(Duration timeout) throws InterruptedException;

  /**
   * Saves {@code state} as this child's checkpoint, so the next copy ({@link #load} after a local
   * restart, a failover or a move) resumes from it. Under a {@link DistributedSupervisor} it is
   * acknowledged when a majority of the members holds it (quorum strategy: then it survives the
   * loss of any minority, and a copy that starts after a failover reads it; two members with a
   * plain strategy); under a {@link LocalSupervisor} at once, in this JVM's memory. Checkpoints are
   * ordered by (generation, sequence), never by a clock, and collected when the child ends for
   * good. Any thread; the array is copied.
   *
   * @return completes with the checkpoint as saved; fails with {@link SupervisorException}: {@code
   *     FENCED} if this copy may no longer write (a newer generation saved or was placed, its node
   *     lost its lease or is fenced: nothing was saved), {@code TIMEOUT} (not acknowledged in time:
   *     it may still be kept), {@code STOPPED}
   * @throws IllegalArgumentException if {@code state} is larger than {@link #maxCheckpointBytes}
   *     (nothing is saved)
   */
  java.util.concurrent.CompletableFuture<Checkpoint> save(byte[] state);

  /**
   * The latest acknowledged checkpoint of this child, or null if it has none; blocks the caller.
   * Under a distributed supervisor with a quorum strategy it asks a majority (so it never misses an
   * acknowledged save, wherever it was made); with a plain strategy every live member, each for at
   * most the call timeout.
   *
   * @throws SupervisorException {@code NO_QUORUM} or {@code TIMEOUT} if not enough members
   *     answered, {@code STOPPED}
   * @throws InterruptedException if this thread is interrupted
   */
  @Nullable Checkpoint load() throws InterruptedException;

  /**
   * Hands {@code state} to the next copy on the way out (Swarm's {@code begin_handoff}): saves it
   * like {@link #save} and waits for the acknowledgement even if this thread is interrupted (its
   * interrupt status is kept). Call it after {@link #stopRequested()}, before {@link Child#run}
   * returns: a graceful move (supervisor stop, {@link io.flock.membership.Cluster#leave}, active
   * redistribution) writes the new placement only after this copy ended, so the new copy's {@link
   * #load} returns this state. Bounded by the child's shutdown timeout like the rest of its stop.
   *
   * @return the checkpoint as saved
   * @throws SupervisorException as {@link #save} fails
   * @throws IllegalArgumentException as {@link #save} throws
   */
  Checkpoint handOff(byte[] state);

  /** The largest state {@link #save} takes, in bytes: half the cluster's {@code maxValueBytes}. */
  int maxCheckpointBytes();

  /**
   * A logger for the child. While {@link Child#run} runs, the SLF4J MDC holds {@code flock.node}
   * and {@code flock.child}, so log patterns can show both.
   */
  Logger log();
}
