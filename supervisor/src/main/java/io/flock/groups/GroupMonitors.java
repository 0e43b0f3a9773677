package io.flock.groups;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitors of one scope on this node: per group, and of the whole scope. Events go out on the
 * core thread in the task that changed the view, and a monitor is added on the core thread with its
 * snapshot, so no event falls between a snapshot and the events after it (OTP #7625 / #7754: a
 * process that monitored and joined at once crashed the scope; here both are core tasks, ordered).
 *
 * <p>Threading: {@link #dispatch} core thread; add and remove any thread.
 */
final class GroupMonitors {
  private static final Logger log = LoggerFactory.getLogger(GroupMonitors.class);

  private final String scope;
  private final Map<String, List<Consumer<GroupEvent>>> byGroup = new ConcurrentHashMap<>();
  private final List<Consumer<GroupEvent>> all = new CopyOnWriteArrayList<>();

  GroupMonitors(String scope) {
    this.scope = scope;
  }

  void add(String group, Consumer<GroupEvent> listener) {
    byGroup.computeIfAbsent(group, g -> new CopyOnWriteArrayList<>()).add(listener);
  }

  void remove(String group, Consumer<GroupEvent> listener) {
    byGroup.computeIfPresent(
        group,
        (g, l) -> {
          l.remove(listener);
          return l.isEmpty() ? null : l;
        });
  }

  void addScope(Consumer<GroupEvent> listener) {
    all.add(listener);
  }

  void removeScope(Consumer<GroupEvent> listener) {
    all.remove(listener);
  }

  void clear() {
    byGroup.clear();
    all.clear();
  }

  /** Core: tells every monitor of each event's group, and every scope monitor. */
  void dispatch(List<GroupEvent> events) {
    for (GroupEvent e : events) {
      List<Consumer<GroupEvent>> l = byGroup.get(e.group());
      if (l != null) {
        l.forEach(c -> tell(c, e));
      }
      all.forEach(c -> tell(c, e));
    }
  }

  private void tell(Consumer<GroupEvent> listener, GroupEvent e) {
    try {
      listener.accept(e);
    } catch (RuntimeException x) {
      log.warn("process groups {}: a monitor failed on {}", scope, e, x);
    }
  }
}
