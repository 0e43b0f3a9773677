package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import io.flock.membership.Cluster;
import io.flock.supervisor.MessageException.Outcome;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Sends messages to the children of one {@link DistributedSupervisor}, from any node: {@code tell}
 * (one way, acknowledged once queued in the child's mailbox) and {@code ask} (an answer by a
 * deadline, always honoured: deadlines are swept every 20 ms, so a call fails up to 40 ms after
 * it). A child reads its messages with {@link ChildContext#receive}.
 *
 * <p>Three kinds of target:
 *
 * <ul>
 *   <li>a {@link ChildRef}: exactly that copy (node and generation); once the child moved, its
 *       messages fail with {@link Outcome#FENCED};
 *   <li>a child id: the child wherever it runs. While it moves, this node holds its messages to it
 *       (at most 1,000 per child, each until its deadline) and sends them on, in order, once the
 *       new placement is known; a graceful hand-over forwards what was queued at the old copy. One
 *       sender's messages to one child arrive in the order sent, across moves;
 *   <li>a registered name ({@link ChildSpec#name}, with {@link DistributedSupervisor.Builder#names}
 *       set): the child that holds it, as for an id.
 * </ul>
 *
 * <p>Every outcome is explicit: the future completes (a tell: delivered; an ask: the answer) or
 * fails with a {@link MessageException} saying why ({@link Outcome}). A message that cannot be sent
 * (a type not in the cluster's wire types, or larger than {@code maxValueBytes}) throws {@link
 * IllegalArgumentException} at the call, and nothing is sent. Messages are not persisted: those
 * queued at a node that crashes are lost with it (a tell acknowledged by that node included), and a
 * message in flight to a node that died is sent again to the child's new placement, so it may
 * arrive twice if the old copy had read it.
 *
 * <p>Threading: every method may be called from any thread and never blocks.
 *
 * <pre>{@code
 * Messenger messenger = supervisor.messenger();
 * messenger.tell("cart-42", new AddItem("apple")).join();
 * Total total = messenger.ask("cart-42", new GetTotal(), Total.class, Duration.ofSeconds(1)).join();
 *
 * // in the child:
 * Envelope e = ctx.receive(Duration.ofSeconds(1));
 * if (e != null && e.message() instanceof GetTotal) {
 *   e.reply(new Total(sum));
 * }
 * }</pre>
 */
public final class Messenger {
  private final Cluster cluster;
  private final MessageSender sender;
  private final Function<String, Optional<ChildRef>> names;
  private final Duration tellTimeout;
  private final Deadlines deadlines = new Deadlines();

  Messenger(
      Cluster cluster,
      MessageSender sender,
      Function<String, Optional<ChildRef>> names,
      Duration tellTimeout) {
    this.cluster = cluster;
    this.sender = sender;
    this.names = names;
    this.tellTimeout = tellTimeout;
  }

  /**
   * Sends {@code message} to the exact copy {@code target}; completes once it is queued there.
   *
   * @throws IllegalArgumentException if {@code message} cannot be sent
   */
  public CompletableFuture<Void> tell(ChildRef target, Object message) {
    requireNonNull(target, "target");
    return go(message, false, tellTimeout, out -> sender.toCopy(target, out)).thenApply(a -> null);
  }

  /**
   * Asks the exact copy {@code target}; completes with its answer, or fails by {@code deadline}.
   *
   * @throws IllegalArgumentException if {@code message} cannot be sent or {@code deadline} is not
   *     positive
   */
  public <R> CompletableFuture<R> ask(
      ChildRef target, Object message, Class<R> replyType, Duration deadline) {
    requireNonNull(target, "target");
    requireNonNull(replyType, "replyType");
    return answer(go(message, true, deadline, out -> sender.toCopy(target, out)), replyType);
  }

  /**
   * Sends {@code message} to the child {@code childId} wherever it runs; completes once queued.
   *
   * @throws IllegalArgumentException if {@code message} cannot be sent
   */
  public CompletableFuture<Void> tell(String childId, Object message) {
    requireNonNull(childId, "childId");
    return go(message, false, tellTimeout, out -> sender.toChild(childId, out))
        .thenApply(a -> null);
  }

  /**
   * Asks the child {@code childId} wherever it runs; completes with its answer, or fails by {@code
   * deadline}.
   *
   * @throws IllegalArgumentException if {@code message} cannot be sent or {@code deadline} is not
   *     positive
   */
  public <R> CompletableFuture<R> ask(
      String childId, Object message, Class<R> replyType, Duration deadline) {
    requireNonNull(childId, "childId");
    requireNonNull(replyType, "replyType");
    return answer(go(message, true, deadline, out -> sender.toChild(childId, out)), replyType);
  }

  /**
   * Sends {@code message} to the child that holds the name {@code name}; fails with {@link
   * Outcome#NO_SUCH_CHILD} if no child holds it in this node's replica.
   *
   * @throws IllegalArgumentException if {@code message} cannot be sent
   */
  public CompletableFuture<Void> tellNamed(String name, Object message) {
    return named(name, message, id -> tell(id, message));
  }

  /**
   * Asks the child that holds the name {@code name}, as {@link #ask(String, Object, Class,
   * Duration)}.
   *
   * @throws IllegalArgumentException if {@code message} cannot be sent or {@code deadline} is not
   *     positive
   */
  public <R> CompletableFuture<R> askNamed(
      String name, Object message, Class<R> replyType, Duration deadline) {
    return named(name, message, id -> ask(id, message, replyType, deadline));
  }

  /** Sends to the child that holds {@code name} by id, or fails with NO_SUCH_CHILD. */
  private <T> CompletableFuture<T> named(
      String name, Object message, Function<String, CompletableFuture<T>> byId) {
    requireNonNull(name, "name");
    Optional<ChildRef> ref = names.apply(name);
    if (ref.isEmpty()) {
      int unused = check(message);
      return noSuchName(name);
    }
    return byId.apply(ref.get().id());
  }

  private static <T> CompletableFuture<T> noSuchName(String name) {
    return CompletableFuture.failedFuture(
        new MessageException(Outcome.NO_SUCH_CHILD, "no child holds the name " + name));
  }

  private int check(Object message) {
    requireNonNull(message, "message");
    return cluster.encodedSize(message);
  }

  private CompletableFuture<Object> go(
      Object message,
      boolean ask,
      Duration deadline,
      java.util.function.Consumer<MessageSender.Out> route) {
    int bytes = check(message);
    requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, was " + deadline);
    }
    CompletableFuture<Object> result = new CompletableFuture<>();
    long due = System.nanoTime() + deadline.toNanos();
    MessageSender.Out out = new MessageSender.Out(0, message, bytes, ask, due, result);
    try {
      sender.submit(() -> route.accept(out));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new MessageException(Outcome.STOPPED, "this node is closed"));
    }
    deadlines.add(deadline, due, result);
    return result;
  }

  private static <R> CompletableFuture<R> answer(CompletableFuture<Object> f, Class<R> replyType) {
    return f.thenApply(
        a -> {
          if (a == null || !replyType.isInstance(a)) {
            throw new ClassCastException(
                "the answer is "
                    + (a == null ? "null" : a.getClass().getName())
                    + ", not a "
                    + replyType.getName());
          }
          return replyType.cast(a);
        });
  }
}
