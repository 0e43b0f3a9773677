package io.flock.supervisor;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.Endpoint;
import io.flock.membership.EndpointException;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.MessageException.Outcome;
import io.flock.supervisor.SupervisorMessages.Letter;
import io.flock.supervisor.SupervisorMessages.Receipt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * The sending side of child messaging on one node. A message to an exact copy ({@link ChildRef})
 * goes to that node and generation, and a moved copy is {@code FENCED}. A message to a child id
 * follows the child: per child a channel keeps the messages this node sent in order; when one is
 * refused as moving (or its node is gone), it and every later one are held, in order, until this
 * node sees a newer placement, then sent on to it; no message is sent past one still in flight to
 * an older placement, so one sender's messages reach the child in the order sent. Nothing retries
 * on a timer: a newer placement (a scope change) releases what is held, and each message's own
 * deadline ends its wait.
 *
 * <p>Threading: core thread.
 */
final class MessageSender {
  private final Cluster cluster;
  private final Scope<String, Placement> scope;
  private final LetterOutbox outbox;
  private final int maxHeld;
  private final java.util.Queue<Runnable> submitted =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicBoolean draining =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final Map<String, Channel> channels = new HashMap<>();

  /**
   * One message on its way (about {@code bytes} on the wire), with the caller's future (completed
   * with the answer, or null).
   */
  record Out(
      long seq,
      Object body,
      int bytes,
      boolean ask,
      long deadline,
      CompletableFuture<Object> result) {}

  private static final class Channel {
    final String id;
    final TreeMap<Long, Out> held = new TreeMap<>();
    long nextSeq;
    int inFlight;
    long inFlightGeneration; // the generation the messages in flight were sent to
    long bouncedFrom = -1; // the newest generation that refused a message, until a newer is seen

    Channel(String id) {
      this.id = id;
    }
  }

  MessageSender(
      Cluster cluster,
      Scope<String, Placement> scope,
      Endpoint<Letter> letters,
      Endpoint<SupervisorMessages.Letters> batches,
      int maxHeld) {
    this.cluster = cluster;
    this.scope = scope;
    this.outbox =
        new LetterOutbox(cluster.onCore(), letters, batches, cluster.settings().maxValueBytes());
    this.maxHeld = maxHeld;
  }

  /**
   * Any thread: runs {@code send} on the core thread; what is submitted while the core is busy runs
   * in one task, and its tells to one node go as one batch.
   *
   * @throws java.util.concurrent.RejectedExecutionException if the node is closed
   */
  void submit(Runnable send) {
    submitted.add(send);
    if (draining.compareAndSet(false, true)) {
      cluster.onCore().execute(this::drain);
    }
  }

  private void drain() {
    try {
      for (int n = 0; n < 4_096; n++) {
        Runnable r = submitted.poll();
        if (r == null) {
          break;
        }
        r.run();
      }
      outbox.flush();
    } finally {
      draining.set(false);
    }
    if (!submitted.isEmpty() && draining.compareAndSet(false, true)) {
      cluster.onCore().execute(this::drain);
    }
  }

  private void post(NodeId to, Letter letter, Out out, LetterOutbox.Done done) {
    if (out.ask()) {
      outbox.ask(to, letter, out.deadline(), out.result(), done);
    } else {
      outbox.tell(to, letter, out.bytes(), out.deadline(), done);
    }
  }

  /** To the exact copy {@code ref}. */
  void toCopy(ChildRef ref, Out out) {
    Placement p = scope.getNow(ref.id());
    if (p != null && p.generation() > ref.generation()) {
      fail(
          out,
          p.terminated() ? Outcome.NO_SUCH_CHILD : Outcome.FENCED,
          ref + " is no longer the current copy");
      return;
    }
    long remaining = out.deadline() - System.nanoTime();
    if (remaining <= 0) {
      fail(out, Outcome.TIMED_OUT, "deadline passed before sending");
      return;
    }
    post(
        ref.node(),
        letter(ref.id(), ref.generation(), out, remaining),
        out,
        (r, e) -> {
          String refusal = r == null ? null : r.refusal();
          if (e != null || r == null) {
            failOnError(out, e);
          } else if (refusal == null) {
            out.result().complete(r.answer());
          } else if (refusal.equals(MessageReceiver.MOVING)) {
            fail(out, Outcome.FENCED, ref + " is no longer the current copy");
          } else {
            fail(out, Outcome.valueOf(refusal), "refused by " + ref.node().name());
          }
        });
  }

  /**
   * To the child {@code id} wherever it runs, in order after this node's earlier messages to it.
   */
  void toChild(String id, Out template) {
    Channel c = channels.computeIfAbsent(id, Channel::new);
    Out out =
        new Out(
            c.nextSeq++,
            template.body(),
            template.bytes(),
            template.ask(),
            template.deadline(),
            template.result());
    Placement p = scope.getNow(id);
    boolean behind =
        !c.held.isEmpty()
            || c.bouncedFrom >= 0
            || (c.inFlight > 0 && p != null && p.generation() != c.inFlightGeneration);
    if (behind) {
      hold(c, out);
    } else {
      dispatch(c, out);
    }
  }

  private static Letter letter(String id, long generation, Out out, long remainingNanos) {
    int askMillis =
        out.ask() ? (int) Math.max(1, Math.min(Integer.MAX_VALUE, remainingNanos / 1_000_000)) : 0;
    return new Letter(id, generation, askMillis, out.body());
  }

  private void dispatch(Channel c, Out out) {
    if (out.result().isDone()) {
      return; // its deadline passed while it was held
    }
    Placement p = scope.getNow(c.id);
    if (p == null || p.terminated()) {
      fail(out, Outcome.NO_SUCH_CHILD, "no child " + c.id);
      return;
    }
    long remaining = out.deadline() - System.nanoTime();
    if (remaining <= 0) {
      fail(out, Outcome.TIMED_OUT, "deadline passed while held for a move of " + c.id);
      return;
    }
    c.inFlight++;
    c.inFlightGeneration = p.generation();
    long generation = p.generation();
    post(
        p.node(),
        letter(c.id, generation, out, remaining),
        out,
        (r, e) -> onReceipt(c, out, generation, r, e));
  }

  private void onReceipt(
      Channel c, Out out, long generation, @Nullable Receipt r, @Nullable Throwable e) {
    c.inFlight--;
    if (e != null) {
      Throwable cause = e instanceof CompletionException ? e.getCause() : e;
      if (cause instanceof EndpointException ee
          && (ee.outcome() == EndpointException.Outcome.GONE
              || ee.outcome() == EndpointException.Outcome.FAILED)) {
        bounce(c, out, generation); // its node is gone, or runs no such supervisor: re-placed
      } else {
        failOnError(out, e);
      }
    } else if (r == null || r.refusal() == null) {
      out.result().complete(r == null ? null : r.answer());
    } else if (r.refusal().equals(MessageReceiver.MOVING)) {
      bounce(c, out, generation);
    } else {
      fail(out, Outcome.valueOf(r.refusal()), "refused for child " + c.id);
    }
    release(c);
  }

  private void bounce(Channel c, Out out, long generation) {
    c.bouncedFrom = Math.max(c.bouncedFrom, generation);
    hold(c, out);
  }

  private void hold(Channel c, Out out) {
    if (c.held.size() >= maxHeld) {
      c.held.values().removeIf(o -> o.result().isDone());
    }
    if (c.held.size() >= maxHeld) {
      fail(out, Outcome.OVERLOADED, maxHeld + " messages already held for the move of " + c.id);
      return;
    }
    c.held.put(out.seq(), out);
  }

  /** Sends what is held once nothing is in flight and a newer placement is known. */
  private void release(Channel c) {
    if (c.inFlight > 0) {
      return;
    }
    if (c.held.isEmpty()) {
      channels.remove(c.id); // nothing pending: a new channel starts afresh
      return;
    }
    Placement p = scope.getNow(c.id);
    if (p == null || p.terminated()) {
      List<Out> all = new ArrayList<>(c.held.values());
      c.held.clear();
      all.forEach(o -> fail(o, Outcome.NO_SUCH_CHILD, "child " + c.id + " ended"));
      channels.remove(c.id);
      return;
    }
    if (p.generation() <= c.bouncedFrom) {
      return; // wait for a newer placement (a scope change calls again)
    }
    c.bouncedFrom = -1;
    List<Out> all = new ArrayList<>(c.held.values());
    c.held.clear();
    all.forEach(o -> dispatch(c, o));
    if (c.inFlight == 0 && c.held.isEmpty()) {
      channels.remove(c.id);
    }
  }

  /** Placement changes: a channel holding messages for a changed child may send them on. */
  void onChanges(List<Change<String, Placement>> changes) {
    if (channels.isEmpty()) {
      return;
    }
    for (Change<String, Placement> change : changes) {
      Channel c = channels.get(change.key());
      if (c != null) {
        release(c);
      }
    }
  }

  private static void failOnError(Out out, @Nullable Throwable e) {
    Throwable cause = e instanceof CompletionException ? e.getCause() : e;
    if (cause == null) {
      cause = new IllegalStateException("no receipt");
    }
    if (cause instanceof EndpointException ee) {
      switch (ee.outcome()) {
        case TIMED_OUT -> fail(out, Outcome.TIMED_OUT, "no receipt by the deadline");
        case CLOSED -> fail(out, Outcome.STOPPED, "this node closed");
        case NOT_SENT ->
            fail(out, Outcome.OVERLOADED, "the transport refused it: " + ee.getMessage());
        default -> fail(out, Outcome.UNREACHABLE, ee.getMessage());
      }
    } else {
      out.result().completeExceptionally(cause);
    }
  }

  private static void fail(Out out, Outcome outcome, @Nullable String why) {
    out.result().completeExceptionally(new MessageException(outcome, outcome + ": " + why));
  }
}
