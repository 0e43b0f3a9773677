package io.flock.supervisor;

import static java.util.concurrent.CompletableFuture.completedFuture;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.DirectHandler;
import io.flock.membership.Endpoint;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.MessageException.Outcome;
import io.flock.supervisor.SupervisorMessages.Forward;
import io.flock.supervisor.SupervisorMessages.Letter;
import io.flock.supervisor.SupervisorMessages.Letters;
import io.flock.supervisor.SupervisorMessages.Receipt;
import io.flock.supervisor.SupervisorMessages.Receipts;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The receiving side of child messaging on one node: a letter for a child placed here at its
 * generation is queued in the child's {@link Mailbox} (a tell is then acknowledged; an ask is
 * answered when the child replies); anything else is refused with its reason. A copy stopping for a
 * move, or a letter for an older generation, is refused as {@link #MOVING}: a sender that follows
 * the child holds it and sends it on to the new placement. On a graceful hand-over the tells still
 * queued here go to the new node ahead of the placement ({@link #forward}); asks queued here are
 * refused as moving, so their senders send them on.
 *
 * <p>A letter for a copy already admitted on the core (its mailbox {@linkplain Mailbox#allowDirect
 * allows it}) is queued on the network thread that read it, without the hop to the core ({@link
 * #direct}): a mailbox stops allowing that, atomically with what is queued, when it is drained (the
 * copy moves or ends), replaced by a newer copy's, or its placement changes; a copy stopping for a
 * move, or a stopping supervisor, sends every letter to the core. To keep one sender's order, a
 * letter goes to the core while any earlier message of its sender (a letter, batch or forward) is
 * still on its way there.
 *
 * <p>Threading: core thread (the endpoint handlers and scope subscribers run there), except {@link
 * #direct} on network threads.
 */
final class MessageReceiver {
  /** The refusal that tells a sender to follow the child. */
  static final String MOVING = "MOVING";

  /** An ask queued at a copy that moved away before it answered. */
  static final class Moved extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Moved() {
      super("the child moved", null, false, false);
    }
  }

  private final Cluster cluster;
  private final Scope<String, Placement> scope;
  private final LocalRuns runs;
  private final Mailboxes boxes;
  private final BooleanSupplier stopping;
  private final Endpoint<Letter> letters;
  private final Endpoint<Forward> forwards;
  private final Endpoint<Letters> batches;
  // Per sending incarnation: its messages handed to the core and not yet handled there. One the
  // core drops unhandled (its sender's incarnation is known to have ended) stays counted: that
  // sender's letters then always go to the core, which drops them too.
  private final ConcurrentHashMap<NodeId, AtomicInteger> onCore = new ConcurrentHashMap<>();

  MessageReceiver(
      Cluster cluster,
      String supervisor,
      Scope<String, Placement> scope,
      LocalRuns runs,
      Mailboxes boxes,
      BooleanSupplier stopping) {
    this.cluster = cluster;
    this.scope = scope;
    this.runs = runs;
    this.boxes = boxes;
    this.stopping = stopping;
    this.letters =
        cluster.endpoint(
            "flock.messages." + supervisor,
            Letter.class,
            (from, l) -> {
              try {
                return onLetter(l);
              } finally {
                handled(from);
              }
            },
            this::direct);
    this.batches =
        cluster.endpoint(
            "flock.messages." + supervisor + ".batch",
            Letters.class,
            (from, b) -> {
              try {
                return new Receipts(onBatch(b));
              } finally {
                handled(from);
              }
            },
            (from, b) -> toCore(from));
    this.forwards =
        cluster.endpoint(
            "flock.messages." + supervisor + ".forward",
            Forward.class,
            (from, f) -> {
              try {
                onForward(f);
              } finally {
                handled(from);
              }
              return null;
            },
            (from, f) -> toCore(from));
  }

  /** Network thread: a message of {@code from} goes to the core (counted until handled there). */
  private Object toCore(NodeId from) {
    onCore.computeIfAbsent(from, k -> new AtomicInteger()).incrementAndGet();
    return DirectHandler.ON_CORE;
  }

  /** Core thread: a message of {@code from} was handled (what it queued is in its mailbox). */
  private void handled(NodeId from) {
    AtomicInteger n = onCore.get(from);
    if (n != null) {
      n.decrementAndGet();
    }
  }

  /**
   * Network thread: queues {@code l} if its copy's mailbox allows it and nothing of its sender is
   * still on its way to the core; else hands it to the core.
   */
  private Object direct(NodeId from, Letter l) {
    AtomicInteger waiting = onCore.get(from);
    if ((waiting != null && waiting.get() > 0)
        || stopping.getAsBoolean()
        || runs.isMoving(l.id())) {
      return toCore(from);
    }
    Mailbox box = boxes.get(l.id());
    if (box == null || box.generation() != l.generation()) {
      return toCore(from);
    }
    CompletableFuture<Object> reply = l.askMillis() == 0 ? null : new CompletableFuture<>();
    return switch (box.offerDirect(new Envelope(l.body(), reply, this::check))) {
      case QUEUED -> reply == null ? new Receipt(null, null) : receipt(reply);
      case FULL -> refuse(Outcome.OVERLOADED.name());
      case CLOSED -> toCore(from);
    };
  }

  /** The endpoint senders use for asks (and single tells). */
  Endpoint<Letter> letters() {
    return letters;
  }

  /** The endpoint senders use for batches of tells. */
  Endpoint<Letters> batches() {
    return batches;
  }

  private static Receipt refuse(String why) {
    return new Receipt(why, null);
  }

  /**
   * The mailbox {@code l} goes into here, or the refusal (a {@code String}) saying why it cannot.
   */
  private Object admit(Letter l) {
    if (stopping.getAsBoolean()) {
      return MOVING; // its children are handed over, or claimed by the others
    }
    Placement p = scope.getNow(l.id());
    long current = p == null ? 0 : p.generation();
    if (l.generation() < current) {
      return p != null && p.terminated() ? Outcome.NO_SUCH_CHILD.name() : MOVING;
    }
    if (l.generation() == current) {
      if (p == null || p.terminated()) {
        return Outcome.NO_SUCH_CHILD.name();
      }
      if (!p.node().equals(cluster.self()) || runs.isMoving(l.id())) {
        return MOVING;
      }
      Mailbox box = boxes.open(l.id(), l.generation());
      if (box == null) {
        return MOVING;
      }
      box.allowDirect(); // the copy runs here: its next letters may skip the core
      return box;
    }
    // Here at its generation, or addressed here at a newer one whose placement is on its way (the
    // mailbox is dropped if that placement turns out otherwise).
    Mailbox box = boxes.open(l.id(), l.generation());
    return box == null ? MOVING : box;
  }

  /** A tell: queued (null) or the refusal. */
  private @Nullable String tell(Letter l) {
    Object admitted = admit(l);
    if (!(admitted instanceof Mailbox box)) {
      return (String) admitted;
    }
    return box.offer(new Envelope(l.body(), null, this::check)) ? null : Outcome.OVERLOADED.name();
  }

  private List<@Nullable String> onBatch(Letters batch) {
    List<@Nullable String> out = new ArrayList<>(batch.letters().size());
    for (Letter l : batch.letters()) {
      out.add(tell(l));
    }
    return out;
  }

  private CompletionStage<Receipt> onLetter(Letter l) {
    if (l.askMillis() == 0) {
      return completedFuture(new Receipt(tell(l), null));
    }
    Object admitted = admit(l);
    if (!(admitted instanceof Mailbox box)) {
      return completedFuture(refuse((String) admitted));
    }
    CompletableFuture<Object> reply = new CompletableFuture<>();
    if (!box.offer(new Envelope(l.body(), reply, this::check))) {
      return completedFuture(refuse(Outcome.OVERLOADED.name()));
    }
    return receipt(reply);
  }

  /** The receipt of an ask queued with {@code reply}, once the child answered (or could not). */
  private static CompletionStage<Receipt> receipt(CompletableFuture<Object> reply) {
    // No timer here: the sender ends the ask by its deadline, and a reply that comes later is
    // dropped there; the reply future goes with the envelope if the child never answers.
    return reply.handle(
        (answer, e) -> {
          Throwable cause =
              e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
          if (cause == null) {
            return new Receipt(null, answer);
          }
          if (cause instanceof Moved) {
            return refuse(MOVING);
          }
          if (cause instanceof MessageException m) {
            return refuse(m.outcome().name());
          }
          return refuse(Outcome.STOPPED.name());
        });
  }

  private void check(Object answer) {
    int unused = cluster.encodedSize(answer);
  }

  private void onForward(Forward f) {
    Mailbox box = boxes.open(f.id(), f.generation());
    if (box == null) {
      return;
    }
    List<Envelope> older = new ArrayList<>(f.bodies().size());
    for (Object body : f.bodies()) {
      older.add(new Envelope(body, null, this::check));
    }
    box.prepend(older);
  }

  /**
   * A graceful hand-over of {@code id} to {@code to} at {@code generation}, before its placement is
   * written: the tells queued here go there first (the same connection then carries the placement),
   * the asks are refused as moving.
   */
  void forward(String id, NodeId to, long generation) {
    Mailbox box = boxes.remove(id);
    if (box == null) {
      return;
    }
    List<Object> tells = new ArrayList<>();
    List<Envelope> asks = new ArrayList<>();
    for (Envelope e : box.drain()) {
      if (e.expectsReply()) {
        asks.add(e);
      } else {
        tells.add(e.message());
      }
    }
    failMoved(asks);
    if (!tells.isEmpty()) {
      boolean unused = forwards.send(to, new Forward(id, generation, List.copyOf(tells)));
    }
  }

  /** Placement changes: a mailbox whose child no longer runs here at its generation goes. */
  void onChanges(List<Change<String, Placement>> changes) {
    for (Change<String, Placement> c : changes) {
      @Nullable Placement now =
          switch (c) {
            case Change.Added<String, Placement> a -> a.newValue();
            case Change.Updated<String, Placement> u -> u.newValue();
            case Change.Removed<String, Placement> r -> null;
          };
      String id = c.key();
      boolean stays = now != null && !now.terminated() && now.node().equals(cluster.self());
      Mailbox current = boxes.get(id);
      if (current != null) {
        current.refuseDirect(); // the next letter is admitted on the core against the change
      }
      if (!stays) {
        Mailbox box = boxes.remove(id);
        if (box != null) {
          failMoved(box.drain());
        }
      }
    }
  }

  private static void failMoved(List<Envelope> envelopes) {
    for (Envelope e : envelopes) {
      CompletableFuture<Object> r = e.pendingReply();
      if (r != null) {
        r.completeExceptionally(new Moved());
      }
    }
  }

  /** Fails the asks among {@code envelopes} with {@code outcome}. */
  static void failAsks(List<Envelope> envelopes, Outcome outcome) {
    for (Envelope e : envelopes) {
      CompletableFuture<Object> r = e.pendingReply();
      if (r != null) {
        r.completeExceptionally(new MessageException(outcome, "not answered: " + outcome));
      }
    }
  }

  /** Frees the endpoints. */
  void close() {
    letters.close();
    batches.close();
    forwards.close();
  }
}
