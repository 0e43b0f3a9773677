package io.flock.supervisor;

import io.flock.crdt.Change;
import io.flock.membership.NodeId;
import io.micrometer.core.instrument.Counter;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Turns the changes of a supervisor's placements into the cluster-wide events its listeners hear
 * ({@link SupervisorEvent.Placed}, {@link SupervisorEvent.Moved}, {@link SupervisorEvent.Ended}),
 * tells the names of children that ended for good, and counts the conflicts this node lost.
 *
 * <p>Threading: core thread.
 */
final class PlacementPublisher {
  private final LocalSupervisor local;
  private final @Nullable PlacementNames names;
  private final Counter conflicts;
  private final Supplier<NodeId> self;

  PlacementPublisher(
      LocalSupervisor local,
      @Nullable PlacementNames names,
      Counter conflicts,
      Supplier<NodeId> self) {
    this.local = local;
    this.names = names;
    this.conflicts = conflicts;
    this.self = self;
  }

  void publish(List<Change<String, Placement>> changes) {
    for (Change<String, Placement> c : changes) {
      SupervisorEvent e =
          switch (c) {
            case Change.Added<String, Placement> a ->
                PlacementEvents.of(a.key(), null, a.newValue());
            case Change.Updated<String, Placement> u ->
                PlacementEvents.of(u.key(), u.oldValue(), u.newValue());
            case Change.Removed<String, Placement> r ->
                PlacementEvents.of(r.key(), r.oldValue(), null);
          };
      if (e == null) {
        continue;
      }
      PlacementNames n = names;
      if (n != null && e instanceof SupervisorEvent.Ended) {
        n.ended(
            switch (c) {
              case Change.Updated<String, Placement> u -> u.oldValue();
              case Change.Removed<String, Placement> r -> r.oldValue();
              case Change.Added<String, Placement> a -> a.newValue();
            });
      }
      if (e instanceof SupervisorEvent.Moved m
          && m.cause() == SupervisorEvent.MoveCause.CONFLICT
          && m.from().node().equals(self.get())) {
        conflicts.increment();
      }
      local.publish(e);
    }
  }
}
