package io.flock.console;

import io.flock.supervisor.SupervisorEvent;
import io.flock.supervisor.SupervisorListener;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The last moves and failovers of the supervisors' children, as this node heard them (the
 * supervisors' cluster-wide {@link SupervisorEvent.Moved} events), newest last.
 *
 * <p>Threading: events arrive on the supervisors' threads, reads come from the console's.
 */
final class Timeline {
  static final int KEPT = 200;

  /** One move. */
  record Entry(
      long at,
      String supervisor,
      String id,
      String from,
      String to,
      long generation,
      String cause) {}

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  /** A listener that records the moves of {@code supervisor}'s children. */
  SupervisorListener listener(String supervisor) {
    return event -> {
      if (event instanceof SupervisorEvent.Moved m) {
        add(
            new Entry(
                System.currentTimeMillis(),
                supervisor,
                m.id(),
                m.from().node().name(),
                m.to().node().name(),
                m.to().generation(),
                m.cause().name()));
      }
    };
  }

  private synchronized void add(Entry e) {
    entries.addLast(e);
    while (entries.size() > KEPT) {
      entries.removeFirst();
    }
  }

  synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }
}
