package io.flock.membership.internal.transport;

/** The transport could not start (the address cannot be bound). */
public final class TransportException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  TransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
