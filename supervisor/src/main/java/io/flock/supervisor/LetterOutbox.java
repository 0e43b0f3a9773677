package io.flock.supervisor;

import io.flock.membership.Endpoint;
import io.flock.membership.NodeId;
import io.flock.supervisor.SupervisorMessages.Letter;
import io.flock.supervisor.SupervisorMessages.Letters;
import io.flock.supervisor.SupervisorMessages.Receipt;
import io.flock.supervisor.SupervisorMessages.Receipts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Carries letters to nodes: the tells to one node made in one burst of core work go as one {@link
 * Letters} request with one {@link Receipts} answer (a message each costs an encode, a frame and a
 * hop each way; a batch shares them); an ask goes alone, after the tells before it to its node,
 * since it waits for the child's answer. Per node, letters leave in the order given.
 *
 * <p>Threading: core thread.
 */
final class LetterOutbox {
  /** Called with a letter's receipt, or the error of its request. */
  @FunctionalInterface
  interface Done {
    void accept(@Nullable Receipt receipt, @Nullable Throwable error);
  }

  /** The most tells in one batch. */
  static final int MAX_LETTERS = 512;

  private final Executor core;
  private final Endpoint<Letter> singles;
  private final Endpoint<Letters> batches;
  private final long maxBytes;
  private final Map<NodeId, Open> open = new LinkedHashMap<>();

  private static final class Open {
    final List<Letter> letters = new ArrayList<>();
    final List<Done> done = new ArrayList<>();
    long bytes;
    long deadline;
  }

  /**
   * @param maxValueBytes the cluster's largest endpoint message: a batch stays well below it
   */
  LetterOutbox(
      Executor core, Endpoint<Letter> singles, Endpoint<Letters> batches, int maxValueBytes) {
    this.core = core;
    this.singles = singles;
    this.batches = batches;
    this.maxBytes = Math.min(256 * 1024, maxValueBytes / 2);
  }

  /** A tell of about {@code bytes} to {@code to}, answered by {@code deadline} (nanoTime). */
  void tell(NodeId to, Letter letter, int bytes, long deadline, Done done) {
    if (bytes > maxBytes / 2) {
      single(to, letter, deadline, done); // a large one goes alone, after those before it
      return;
    }
    Open o = open.get(to);
    if (o == null) {
      o = new Open();
      o.deadline = deadline;
      open.put(to, o);
    }
    o.letters.add(letter);
    o.done.add(done);
    o.bytes += bytes + 16L;
    o.deadline = Math.max(o.deadline, deadline);
    if (o.letters.size() >= MAX_LETTERS || o.bytes >= maxBytes) {
      open.remove(to);
      send(to, o);
    }
  }

  /**
   * An ask to {@code to}, answered by {@code deadline}: it leaves after the tells before it. The
   * child's answer completes {@code caller} on the network thread that read it (the caller waits
   * for nothing else); {@code done} then runs on the core with the receipt, as for a tell.
   */
  void ask(NodeId to, Letter letter, long deadline, CompletableFuture<Object> caller, Done done) {
    CompletableFuture<Receipt> f = single(to, letter, deadline, true, done);
    if (f != null) {
      var unused =
          f.whenComplete(
              (r, e) -> {
                if (r != null && r.refusal() == null) {
                  caller.complete(r.answer());
                }
                core.execute(() -> done.accept(r, e));
              });
    }
  }

  /** A letter alone, after the tells before it; its receipt goes to {@code done} on the core. */
  private void single(NodeId to, Letter letter, long deadline, Done done) {
    CompletableFuture<Receipt> f = single(to, letter, deadline, false, done);
    if (f != null) {
      var unused = f.whenCompleteAsync(done::accept, core);
    }
  }

  /** Requests {@code letter} of {@code to}, or tells {@code done} it could not (null). */
  private @Nullable CompletableFuture<Receipt> single(
      NodeId to, Letter letter, long deadline, boolean direct, Done done) {
    flushTo(to);
    Duration left = remaining(deadline);
    try {
      return direct
          ? singles.requestDirect(to, letter, Receipt.class, left)
          : singles.request(to, letter, Receipt.class, left);
    } catch (IllegalArgumentException tooLarge) {
      done.accept(null, tooLarge);
      return null;
    }
  }

  /** Sends the batch open for {@code to}: what comes next leaves after it. */
  private void flushTo(NodeId to) {
    Open before = open.remove(to);
    if (before != null) {
      send(to, before);
    }
  }

  /** Sends every batch still open: the end of a burst. */
  void flush() {
    if (open.isEmpty()) {
      return;
    }
    List<Map.Entry<NodeId, Open>> all = new ArrayList<>(open.entrySet());
    open.clear();
    for (Map.Entry<NodeId, Open> e : all) {
      send(e.getKey(), e.getValue());
    }
  }

  private void send(NodeId to, Open o) {
    CompletableFuture<Receipts> f;
    try {
      f =
          batches.request(
              to, new Letters(List.copyOf(o.letters)), Receipts.class, remaining(o.deadline));
    } catch (IllegalArgumentException tooLarge) {
      o.done.forEach(d -> d.accept(null, tooLarge));
      return;
    }
    var unused =
        f.whenCompleteAsync(
            (r, e) -> {
              List<@Nullable String> refusals = r == null ? null : r.refusals();
              Throwable error = e;
              if (error == null && (refusals == null || refusals.size() != o.letters.size())) {
                error = new IllegalStateException("malformed receipts from " + to);
              }
              for (int i = 0; i < o.done.size(); i++) {
                Receipt receipt =
                    error == null && refusals != null ? new Receipt(refusals.get(i), null) : null;
                o.done.get(i).accept(receipt, error);
              }
            },
            core);
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
  }
}
