package io.flock.membership;

/**
 * Flock's own unchecked exception: a node could not start (for instance its port is in use), or an
 * operation cannot be carried out. The message names what failed and why.
 */
public class FlockException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message. */
  public FlockException(String message) {
    super(message);
  }

  /** An exception with a message and its cause. */
  public FlockException(String message, Throwable cause) {
    super(message, cause);
  }
}
