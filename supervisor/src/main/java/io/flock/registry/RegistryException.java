package io.flock.registry;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** Why a registry operation failed. Futures complete exceptionally with it. */
public final class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kinds of failure. */
  public enum Reason {
    /** The name belongs to another child: {@link #owner()} says which. */
    ALREADY_REGISTERED,
    /** No such name (or it belongs to another child than the one given). */
    NOT_FOUND,
    /** This node does not see a quorum (quorum mode). */
    NO_QUORUM,
    /** Not acknowledged within the deadline: the write may have happened (look it up). */
    TIMEOUT,
    /** The registry was closed. */
    STOPPED
  }

  private final Reason reason;
  private final transient @Nullable Registration owner;

  /** A failure of the given kind, with the current owner for {@link Reason#ALREADY_REGISTERED}. */
  public RegistryException(Reason reason, String message, @Nullable Registration owner) {
    super(requireNonNull(message, "message"));
    this.reason = requireNonNull(reason, "reason");
    this.owner = owner;
  }

  /** The kind of failure. */
  public Reason reason() {
    return reason;
  }

  /** For {@link Reason#ALREADY_REGISTERED}: the registration that holds the name; else null. */
  public @Nullable Registration owner() {
    return owner;
  }
}
