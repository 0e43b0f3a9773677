package io.flock.membership;

/** Why an {@link Endpoint#request} did not get its answer; {@link #outcome()} says which case. */
public final class EndpointException extends FlockException {
  private static final long serialVersionUID = 1L;

  /** What happened to a request. */
  public enum Outcome {
    /** No answer by the deadline; the target may or may not have handled it. */
    TIMED_OUT,
    /** The target incarnation is gone (down, left, replaced); it may have handled it. */
    GONE,
    /** The target has no such endpoint, or its handler threw. */
    FAILED,
    /** Never sent: this node is closed, or the transport refused it (queue full, backpressure). */
    NOT_SENT,
    /** This node closed before the answer came; the target may have handled it. */
    CLOSED
  }

  private final Outcome outcome;

  /** An exception with its outcome and a message. */
  public EndpointException(Outcome outcome, String message) {
    super(outcome + ": " + message);
    this.outcome = outcome;
  }

  /** What happened. */
  public Outcome outcome() {
    return outcome;
  }
}
