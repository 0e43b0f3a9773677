package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** Why a supervision operation failed. Futures complete exceptionally with it. */
public final class SupervisorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kinds of failure. */
  public enum Reason {
    /**
     * A child with this id already runs: {@link #existing()} says where (a distributed supervisor),
     * {@link #existingLocal()} what it is (a local one).
     */
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
  private final transient @Nullable ChildRef existing;
  private final transient @Nullable ChildInfo existingLocal;

  /**
   * A failure of the given kind.
   *
   * @throws NullPointerException if {@code reason} or {@code message} is null
   */
  public SupervisorException(Reason reason, String message) {
    this(reason, message, null, null, null);
  }

  /** A failure of the given kind with a cause. */
  public SupervisorException(Reason reason, String message, @Nullable Throwable cause) {
    this(reason, message, null, null, cause);
  }

  /** A failure with the existing child of a distributed supervisor, and a cause. */
  public SupervisorException(
      Reason reason, String message, @Nullable ChildRef existing, @Nullable Throwable cause) {
    this(reason, message, existing, null, cause);
  }

  /** A local supervisor's {@link Reason#ALREADY_STARTED}: the child it already runs. */
  public SupervisorException(Reason reason, String message, ChildInfo existingLocal) {
    this(reason, message, null, requireNonNull(existingLocal, "existingLocal"), null);
  }

  private SupervisorException(
      Reason reason,
      String message,
      @Nullable ChildRef existing,
      @Nullable ChildInfo existingLocal,
      @Nullable Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    this.reason = requireNonNull(reason, "reason");
    this.existing = existing;
    this.existingLocal = existingLocal;
  }

  /** The kind of failure. */
  public Reason reason() {
    return reason;
  }

  /**
   * For {@link Reason#ALREADY_STARTED} from a distributed supervisor: where the existing child is
   * placed; else null.
   */
  public @Nullable ChildRef existing() {
    return existing;
  }

  /** For {@link Reason#ALREADY_STARTED} from a local supervisor: the child it runs; else null. */
  public @Nullable ChildInfo existingLocal() {
    return existingLocal;
  }
}
