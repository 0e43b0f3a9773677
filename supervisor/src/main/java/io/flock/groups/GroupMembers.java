package io.flock.groups;

import io.flock.supervisor.ChildRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One group's visible memberships on this node (by scope key), and the list of its members that
 * every read shares until the group next changes: a read of a group that did not change costs no
 * copy (pg answers from ETS alike). A read that races a change may build the list itself; a list is
 * kept only under the version it was read at, so a stale one is never served after the change.
 *
 * <p>Threading: {@link #put} and {@link #remove} on the core thread; the reads from any thread.
 */
final class GroupMembers {
  private record Snapshot(long version, List<ChildRef> refs) {}

  private final ConcurrentHashMap<String, Membership> byKey = new ConcurrentHashMap<>();
  private final AtomicLong version = new AtomicLong();
  private volatile @Nullable Snapshot snapshot;

  /** Core: {@code key} is visible as {@code m}. */
  void put(String key, Membership m) {
    byKey.put(key, m);
    version.incrementAndGet(); // after the change: a read that sees this version sees the change
  }

  /** Core: {@code key} is no longer visible. */
  void remove(String key) {
    if (byKey.remove(key) != null) {
      version.incrementAndGet();
    }
  }

  @Nullable Membership get(String key) {
    return byKey.get(key);
  }

  boolean isEmpty() {
    return byKey.isEmpty();
  }

  /** The number of memberships (a member that joined twice counts once). */
  int size() {
    return byKey.size();
  }

  /** Every member, each as many times as it joined: an immutable list. */
  List<ChildRef> refs() {
    long v = version.get();
    Snapshot s = snapshot;
    if (s != null && s.version() == v) {
      return s.refs();
    }
    List<ChildRef> out = new ArrayList<>(byKey.size());
    for (Membership m : byKey.values()) {
      for (int i = 0; i < m.count(); i++) {
        out.add(m.ref());
      }
    }
    List<ChildRef> refs = Collections.unmodifiableList(out);
    snapshot = new Snapshot(v, refs);
    return refs;
  }
}
