package io.flock.supervisor;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one supervisor: each event goes to every one in order; a listener that throws is
 * logged with the event and the others still hear it.
 *
 * <p>Threading: {@link #add} and {@link #remove} from any thread; {@link #tell} on the thread the
 * supervisor's events are delivered on.
 */
final class SupervisorListeners {
  private static final Logger log = LoggerFactory.getLogger(SupervisorListeners.class);

  private final String who;
  private final List<SupervisorListener> listeners = new CopyOnWriteArrayList<>();

  /**
   * @param who the supervisor, as its log lines name it
   */
  SupervisorListeners(String who, List<SupervisorListener> initial) {
    this.who = who;
    listeners.addAll(initial);
  }

  void add(SupervisorListener listener) {
    listeners.add(listener);
  }

  void remove(SupervisorListener listener) {
    listeners.remove(listener);
  }

  void tell(SupervisorEvent event) {
    for (SupervisorListener listener : listeners) {
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("{}: a listener failed on {}", who, event, e);
      }
    }
  }
}
