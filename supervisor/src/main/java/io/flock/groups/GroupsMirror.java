package io.flock.groups;

import io.flock.crdt.Change;
import io.flock.membership.NodeId;
import io.flock.supervisor.ChildRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * This node's view of one scope's groups, readable from any thread without the core: the visible
 * memberships by group (and this node's own, by group), turned from the scope's changes into the
 * joins and leaves they mean. A membership of a node known gone is hidden at once ({@link #hide})
 * and stays hidden until its entry leaves the scope. A group with no visible member is not kept, so
 * it is never listed (OTP #11360: phantom empty groups).
 *
 * <p>Threading: {@link #apply}, {@link #hide} and the node indexes on the core thread; the reads
 * from any thread.
 */
final class GroupsMirror {
  private final Supplier<NodeId> self;
  private final ConcurrentHashMap<String, GroupMembers> byGroup = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, GroupMembers> local = new ConcurrentHashMap<>();
  private final Map<NodeId, Set<String>> byNode = new HashMap<>(); // visible keys per node
  private final Map<NodeId, Set<String>> hidden = new HashMap<>(); // keys of gone nodes in scope

  GroupsMirror(Supplier<NodeId> self) {
    this.self = self;
  }

  /** Core: applies the scope's changes; returns what they mean, in order. */
  List<GroupEvent> apply(List<Change<String, Membership>> changes) {
    List<GroupEvent> events = new ArrayList<>();
    for (Change<String, Membership> c : changes) {
      Membership before = visible(c.key());
      Membership after =
          switch (c) {
            case Change.Added<String, Membership> a -> a.newValue();
            case Change.Updated<String, Membership> u -> u.newValue();
            case Change.Removed<String, Membership> r -> null;
          };
      Membership old =
          switch (c) {
            case Change.Added<String, Membership> a -> null;
            case Change.Updated<String, Membership> u -> u.oldValue();
            case Change.Removed<String, Membership> r -> r.oldValue();
          };
      if (old != null) {
        Set<String> keys = hidden.get(old.ref().node());
        if (keys != null) {
          keys.remove(c.key()); // the gone node's entry left the scope (or was replaced)
        }
      }
      if (after != null && hidden.containsKey(after.ref().node())) {
        hidden.get(after.ref().node()).add(c.key()); // a gone node's entry: it stays hidden
        after = null;
      }
      if (before != null) {
        remove(c.key(), before);
      }
      if (after != null) {
        put(c.key(), after);
      }
      diff(before, after, events);
    }
    return events;
  }

  /** Core: {@code node} is known gone: its memberships leave the view (and stay out). */
  List<GroupEvent> hide(NodeId node) {
    Set<String> keys = byNode.remove(node);
    Set<String> stillThere = hidden.computeIfAbsent(node, n -> new HashSet<>());
    List<GroupEvent> events = new ArrayList<>();
    if (keys == null) {
      return events;
    }
    for (String key : keys) {
      Membership m = visible(key);
      if (m != null) {
        remove(key, m);
        stillThere.add(key);
        diff(m, null, events);
      }
    }
    return events;
  }

  /** Core: the nodes with visible members. */
  Set<NodeId> nodes() {
    return Set.copyOf(byNode.keySet());
  }

  /** Core: the keys of gone nodes still in the scope, by node (for the sweep). */
  Map<NodeId, Set<String>> hiddenKeys() {
    hidden.values().removeIf(Set::isEmpty);
    return Collections.unmodifiableMap(hidden);
  }

  /** Every visible member of {@code group}, each as many times as it joined. */
  List<ChildRef> members(String group) {
    return refs(byGroup.get(group));
  }

  /** This node's visible members of {@code group}. */
  List<ChildRef> localMembers(String group) {
    return refs(local.get(group));
  }

  /** The groups with a visible member. */
  Set<String> groups() {
    return Set.copyOf(byGroup.keySet());
  }

  /** The groups with a member on this node. */
  Set<String> localGroups() {
    return Set.copyOf(local.keySet());
  }

  /** Every group with its members (sorted by group). */
  Map<String, List<ChildRef>> all() {
    Map<String, List<ChildRef>> out = new TreeMap<>();
    byGroup.forEach((g, m) -> out.put(g, m.refs()));
    out.values().removeIf(List::isEmpty);
    return out;
  }

  /** The number of visible memberships (joins counted once per member). */
  int size() {
    int n = 0;
    for (GroupMembers m : byGroup.values()) {
      n += m.size();
    }
    return n;
  }

  private @Nullable Membership visible(String key) {
    int cut = key.indexOf('\u0000');
    GroupMembers g = byGroup.get(key.substring(0, cut));
    return g == null ? null : g.get(key);
  }

  private void put(String key, Membership m) {
    byGroup.computeIfAbsent(m.group(), g -> new GroupMembers()).put(key, m);
    if (m.ref().node().equals(self.get())) {
      local.computeIfAbsent(m.group(), g -> new GroupMembers()).put(key, m);
    }
    byNode.computeIfAbsent(m.ref().node(), n -> new HashSet<>()).add(key);
  }

  private void remove(String key, Membership m) {
    drop(byGroup, m.group(), key);
    drop(local, m.group(), key);
    Set<String> keys = byNode.get(m.ref().node());
    if (keys != null && keys.remove(key) && keys.isEmpty()) {
      byNode.remove(m.ref().node());
    }
  }

  private static void drop(ConcurrentHashMap<String, GroupMembers> maps, String group, String key) {
    maps.computeIfPresent(
        group,
        (g, m) -> {
          m.remove(key);
          return m.isEmpty() ? null : m;
        });
  }

  private static void diff(
      @Nullable Membership before, @Nullable Membership after, List<GroupEvent> events) {
    if (before != null && after != null && before.ref().equals(after.ref())) {
      int delta = after.count() - before.count();
      if (delta > 0) {
        events.add(new GroupEvent.Joined(after.group(), Collections.nCopies(delta, after.ref())));
      } else if (delta < 0) {
        events.add(new GroupEvent.Left(after.group(), Collections.nCopies(-delta, after.ref())));
      }
      return;
    }
    if (before != null) {
      events.add(
          new GroupEvent.Left(before.group(), Collections.nCopies(before.count(), before.ref())));
    }
    if (after != null) {
      events.add(
          new GroupEvent.Joined(after.group(), Collections.nCopies(after.count(), after.ref())));
    }
  }

  private static List<ChildRef> refs(@Nullable GroupMembers members) {
    return members == null ? List.of() : members.refs();
  }
}
