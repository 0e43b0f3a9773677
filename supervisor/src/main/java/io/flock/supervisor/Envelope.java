package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One message a child received ({@link ChildContext#receive}): what was sent, and for an {@link
 * Messenger#ask} the way to answer it.
 *
 * <p>Threading: any thread (the child's, usually). Nullness: nothing is null.
 */
public final class Envelope {
  private final Object message;
  private final @Nullable CompletableFuture<Object> reply;
  private final Consumer<Object> check;

  Envelope(Object message, @Nullable CompletableFuture<Object> reply, Consumer<Object> check) {
    this.message = message;
    this.reply = reply;
    this.check = check;
  }

  /** The message. */
  public Object message() {
    return message;
  }

  /**
   * The message as a {@code type}.
   *
   * @throws ClassCastException if it is not one
   */
  public <T> T message(Class<T> type) {
    return type.cast(message);
  }

  /** Whether the sender waits for an answer ({@link #reply}). */
  public boolean expectsReply() {
    return reply != null;
  }

  /**
   * Answers an ask. The sender gets {@code answer} if it still waits (its deadline not passed).
   *
   * @throws IllegalStateException if the message was a tell, or was answered already
   * @throws IllegalArgumentException if {@code answer} cannot be sent (an unregistered type, or
   *     larger than the cluster's {@code maxValueBytes}); the ask is not answered then
   */
  public void reply(Object answer) {
    requireNonNull(answer, "answer");
    CompletableFuture<Object> r = reply;
    if (r == null) {
      throw new IllegalStateException("a tell expects no reply");
    }
    check.accept(answer);
    if (!r.complete(answer)) {
      throw new IllegalStateException("this ask was answered already (or its deadline passed)");
    }
  }

  /** The pending answer of an ask, or null for a tell (the receiver fails it on a move). */
  @Nullable CompletableFuture<Object> pendingReply() {
    return reply;
  }
}
