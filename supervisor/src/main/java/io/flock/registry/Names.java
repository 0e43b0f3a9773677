package io.flock.registry;

import io.flock.crdt.Change;
import io.flock.membership.NodeId;
import io.flock.supervisor.ChildRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * This node's mirror of the registry scope, readable from any thread without the core: names, the
 * names of each child, and (core thread) the names on each node. Turns each change into the events
 * it means; a lost conflict is told only on the loser's own node.
 *
 * <p>Threading: {@link #onChanges} and {@link #onNode} on the core thread; reads from any thread.
 */
final class Names {
  private final Supplier<NodeId> self;
  private final Predicate<NodeId> gone;
  private final Map<String, Registration> byName = new ConcurrentHashMap<>();
  private final Map<ChildRef, Set<String>> byRef = new ConcurrentHashMap<>();
  private final Map<NodeId, Set<String>> byNode = new HashMap<>();

  /**
   * @param gone whether a node is known gone (down, left, removed, replaced): a registration it
   *     owns is on its way out, and never beats a live child's
   */
  Names(Supplier<NodeId> self, Predicate<NodeId> gone) {
    this.self = self;
    this.gone = gone;
  }

  @Nullable Registration get(String name) {
    return byName.get(name);
  }

  Set<String> keys(ChildRef ref) {
    Set<String> names = byRef.get(ref);
    return names == null ? Set.of() : Set.copyOf(names);
  }

  int count() {
    return byName.size();
  }

  List<Registration> all() {
    return new ArrayList<>(byName.values());
  }

  /** Core thread: the nodes that own names. */
  Set<NodeId> nodes() {
    return Set.copyOf(byNode.keySet());
  }

  /** Core thread: the names owned on {@code node}. */
  List<String> onNode(NodeId node) {
    return new ArrayList<>(byNode.getOrDefault(node, Set.of()));
  }

  /**
   * Core thread: applies scope changes; returns the events they mean, in order. A registration of
   * this node that lost a conflict to one owned by a node known gone is not told as lost: the gone
   * node's entry is removed by the sweep, and ours, kept under it, becomes visible again.
   */
  List<RegistryEvent> onChanges(List<Change<String, Registration>> changes) {
    List<RegistryEvent> events = new ArrayList<>();
    for (Change<String, Registration> c : changes) {
      switch (c) {
        case Change.Added<String, Registration> a -> {
          index(a.newValue());
          events.add(new RegistryEvent.Registered(a.newValue()));
        }
        case Change.Updated<String, Registration> u -> {
          unindex(u.oldValue());
          index(u.newValue());
          Registration old = u.oldValue();
          if (!old.ref().id().equals(u.newValue().ref().id())
              && old.ref().node().equals(self.get())) {
            // Another child's registration replaced this node's without having seen it: the two
            // were concurrent, and ours lost by the order (a sequential change would have passed
            // through a removal here).
            if (!gone.test(u.newValue().ref().node())) {
              events.add(new RegistryEvent.ConflictLost(old, u.newValue()));
            }
          }
          events.add(new RegistryEvent.Registered(u.newValue()));
        }
        case Change.Removed<String, Registration> r -> {
          unindex(r.oldValue());
          events.add(new RegistryEvent.Unregistered(r.oldValue()));
        }
      }
    }
    return events;
  }

  private void index(Registration r) {
    byName.put(r.name(), r);
    byRef.computeIfAbsent(r.ref(), k -> ConcurrentHashMap.newKeySet()).add(r.name());
    byNode.computeIfAbsent(r.ref().node(), k -> new HashSet<>()).add(r.name());
  }

  private void unindex(Registration r) {
    byName.remove(r.name(), r);
    Set<String> names = byRef.get(r.ref());
    if (names != null && names.remove(r.name()) && names.isEmpty()) {
      byRef.remove(r.ref(), names);
    }
    Set<String> onNode = byNode.get(r.ref().node());
    if (onNode != null && onNode.remove(r.name()) && onNode.isEmpty()) {
      byNode.remove(r.ref().node());
    }
  }
}
