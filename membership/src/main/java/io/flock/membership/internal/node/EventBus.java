package io.flock.membership.internal.node;

import io.flock.membership.ClusterEvent;
import io.flock.membership.ClusterListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands events to the listeners, in order, each in a try/catch (a failing listener is logged and
 * never breaks the node), logs each with the node's name and counts reachability changes for the
 * meters. Core thread, except {@link #reachabilityChanges}.
 */
public final class EventBus {
  private static final Logger log = LoggerFactory.getLogger(EventBus.class);

  private final String node;
  private final List<ClusterListener> listeners;
  private final List<ClusterListener> subscribers = new CopyOnWriteArrayList<>();
  private final AtomicLong reachabilityChanges = new AtomicLong();

  EventBus(String node, List<ClusterListener> listeners) {
    this.node = node;
    this.listeners = List.copyOf(listeners);
  }

  void emit(List<ClusterEvent> events) {
    for (ClusterEvent event : events) {
      if (event instanceof ClusterEvent.Reachable || event instanceof ClusterEvent.Unreachable) {
        reachabilityChanges.incrementAndGet();
      }
      log.info("[{}] {}", node, event);
      for (ClusterListener l : listeners) {
        deliver(l, event);
      }
      for (ClusterListener l : subscribers) {
        deliver(l, event);
      }
    }
  }

  /** Adds a listener from now on (any thread). */
  public void subscribe(ClusterListener l) {
    subscribers.add(l);
  }

  private void deliver(ClusterListener l, ClusterEvent event) {
    try {
      l.onEvent(event);
    } catch (RuntimeException e) {
      log.warn("[{}] cluster listener failed on {}", node, event, e);
    }
  }

  long reachabilityChanges() {
    return reachabilityChanges.get();
  }
}
