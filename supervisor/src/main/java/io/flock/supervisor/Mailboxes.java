package io.flock.supervisor;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * This node's mailboxes of one supervisor, by child id: what a child's {@link ChildContext#receive}
 * reads and what the message receiver fills.
 *
 * <p>Threading: any thread; {@link #open}, {@link #remove} the core thread of the receiver.
 */
final class Mailboxes {
  private final ConcurrentHashMap<String, Mailbox> boxes = new ConcurrentHashMap<>();
  private final int capacity;

  Mailboxes(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("mailbox capacity must be >= 1, was " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * The mailbox of {@code id} at {@code generation}, made if needed (one of an older generation is
   * dropped); null if one of a newer generation exists.
   */
  @Nullable Mailbox open(String id, long generation) {
    Mailbox box =
        boxes.compute(
            id,
            (k, old) -> {
              if (old != null && old.generation() >= generation) {
                return old;
              }
              if (old != null) {
                old.refuseDirect(); // a letter for the older copy must not land there any more
              }
              return new Mailbox(generation, capacity);
            });
    return box.generation() == generation ? box : null;
  }

  /** The mailbox of {@code id}, if any (any thread). */
  @Nullable Mailbox get(String id) {
    return boxes.get(id);
  }

  /** Removes and returns the mailbox of {@code id}, if any. */
  @Nullable Mailbox remove(String id) {
    return boxes.remove(id);
  }

  /** The next message for the child {@code id} at {@code generation}, or null after the timeout. */
  @Nullable Envelope receive(String id, long generation, Duration timeout)
      throws InterruptedException {
    Mailbox box = open(id, generation);
    if (box == null) {
      Thread.sleep(timeout.toMillis()); // a stale copy: nothing is for it any more
      return null;
    }
    return box.poll(timeout);
  }

  /** Drops every mailbox (the supervisor stops), failing the asks in them. */
  void clear() {
    for (String id : List.copyOf(boxes.keySet())) {
      Mailbox box = boxes.remove(id);
      if (box != null) {
        MessageReceiver.failAsks(box.drain(), MessageException.Outcome.STOPPED);
      }
    }
  }
}
