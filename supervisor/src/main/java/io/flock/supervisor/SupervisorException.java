package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** Why a supervision operation failed. Futures complete exceptionally with it. */
public final class SupervisorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kinds of failure. */
  public enum Reason {
    /** A child with this id already runs; {@link #existing()} says where. */
    ALREADY_STARTED,
    /** The supervisor holds its maximum number of children. */
    MAX_CHILDREN,
    /** No factory is registered under the spec's factory name. */
    UNKNOWN_FACTORY,
    /** The factory failed to make the child. */
    FACTORY_FAILED,
    /** No child with this id. */
    NOT_FOUND,
    /** The supervisor has stopped (or escalated and stopped its children). */
    STOPPED,
    /** No live member can take the child. */
    NO_MEMBERS,
    /** This node does not see a quorum of the cluster. */
    NO_QUORUM,
    /** The operation did not finish within its deadline. */
    TIMEOUT,
    /**
     * This copy of the child is no longer the current one (its node lost its lease, or the child
     * was placed anew elsewhere): {@link ChildContext#ensureCurrent} refuses the effect.
     */
    FENCED
  }

  private final Reason reason;
  private final transient @Nullable Object existing;

  /** A failure of the given kind. */
  public SupervisorException(Reason reason, String message) {
    this(reason, message, null, null);
  }

  /** A failure with the existing child (for {@link Reason#ALREADY_STARTED}) and a cause. */
  public SupervisorException(
      Reason reason, String message, @Nullable Object existing, @Nullable Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    this.reason = requireNonNull(reason, "reason");
    this.existing = existing;
  }

  /** The kind of failure. */
  public Reason reason() {
    return reason;
  }

  /** For {@link Reason#ALREADY_STARTED}: the running child's description, else null. */
  public @Nullable Object existing() {
    return existing;
  }
}
