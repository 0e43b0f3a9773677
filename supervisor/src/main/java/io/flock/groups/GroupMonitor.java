package io.flock.groups;

import io.flock.supervisor.ChildRef;
import java.util.List;
import java.util.Map;

/**
 * A monitor of one group or of a whole scope ({@link ProcessGroups#monitor}, {@link
 * ProcessGroups#monitorScope}): the membership when it began, then every join and leave through its
 * listener, with no gap and no duplicate between the two (OTP 25.1's {@code pg:monitor}). Replaying
 * the events onto the snapshot gives the current view at every step.
 *
 * <p>Threading: any thread. Nullness: nothing is null.
 */
public final class GroupMonitor {
  private final Map<String, List<ChildRef>> snapshot;
  private final Runnable cancel;

  GroupMonitor(Map<String, List<ChildRef>> snapshot, Runnable cancel) {
    this.snapshot = Map.copyOf(snapshot);
    this.cancel = cancel;
  }

  /**
   * The members when the monitor began, by group (only the monitored group for a group monitor; a
   * group without members is absent).
   */
  public Map<String, List<ChildRef>> snapshot() {
    return snapshot;
  }

  /** Stops the events (idempotent); one already on its way may still arrive. */
  public void cancel() {
    cancel.run();
  }
}
