package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

/**
 * Why a {@link Messenger#tell} or {@link Messenger#ask} did not deliver: every outcome other than
 * "queued at the child" is one of these, never a silent drop.
 */
public final class MessageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What happened to the message. */
  public enum Outcome {
    /** No such child (it was never started, or ended for good): not delivered. */
    NO_SUCH_CHILD,
    /**
     * The child's mailbox, the sender's buffer for a moving child, or the connection to the child's
     * node is full: not delivered.
     */
    OVERLOADED,
    /**
     * The message was for a copy that is no longer current (a newer generation runs, or it is
     * moving): not delivered. Only for messages to an exact {@link ChildRef}; messages to a child
     * id or name follow it instead.
     */
    FENCED,
    /** The child's node could not be reached: not delivered. */
    UNREACHABLE,
    /**
     * No answer by the deadline: the message may have been delivered (and, for an ask, handled).
     */
    TIMED_OUT,
    /** This supervisor, or the child's, is stopped: not delivered. */
    STOPPED
  }

  private final Outcome outcome;

  /** An exception with {@code outcome}. */
  public MessageException(Outcome outcome, String message) {
    super(message);
    this.outcome = requireNonNull(outcome, "outcome");
  }

  /** What happened. */
  public Outcome outcome() {
    return outcome;
  }
}
