package io.flock.supervisor;

import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child's name follows its placement (names in the child spec, Elixir's {@code :via}): the child
 * takes its name when it starts on this node, gives it up when it ends for good here, and stops for
 * good when it lost the name to a concurrent registration (as Horde does), after a hand-off window
 * if one is set: it finds {@link NameLost} first in its mailbox and may hand its state to the
 * winner. Core thread only.
 */
final class PlacementNames {
  private static final Logger log = LoggerFactory.getLogger(PlacementNames.class);

  private final Cluster cluster;
  private final String supervisor;
  private final Scope<String, Placement> scope;
  private final ChildNames names;
  private final BooleanSupplier stopping;
  private final Mailboxes mailboxes;
  private final Duration handOff;
  private final ScheduledExecutorService timer;

  /**
   * @param handOff how long a loser keeps running after it was told ({@link NameLost} in its
   *     mailbox) before it is stopped; zero: stopped at once, told nothing
   */
  PlacementNames(
      Cluster cluster,
      String supervisor,
      Scope<String, Placement> scope,
      ChildNames names,
      BooleanSupplier stopping,
      Mailboxes mailboxes,
      Duration handOff,
      ScheduledExecutorService timer) {
    this.cluster = cluster;
    this.supervisor = supervisor;
    this.scope = scope;
    this.names = names;
    this.stopping = stopping;
    this.mailboxes = mailboxes;
    this.handOff = handOff;
    this.timer = timer;
  }

  /** Listens for this node's children that lose a name conflict. */
  void start() {
    names.onConflictLost(this::lost);
  }

  /** A child started here at {@code generation}: it takes its name, if it has one. */
  void started(String id, long generation) {
    Placement p = scope.getNow(id);
    if (p == null || p.terminated() || !p.node().equals(self()) || p.generation() != generation) {
      return;
    }
    String childName = p.spec().name();
    if (childName == null) {
      return;
    }
    var unused =
        names
            .register(childName, p.ref())
            .whenComplete(
                (v, e) -> {
                  if (e != null) {
                    log.warn(
                        "[{}] {}: child {} cannot hold its name {}: {}",
                        self().name(),
                        supervisor,
                        id,
                        childName,
                        e.getCause() != null ? e.getCause().getMessage() : e.toString());
                  }
                });
  }

  /** The placement {@code last} of a child that ended for good (on any node). */
  void ended(Placement last) {
    String childName = last.spec().name();
    if (childName != null && last.node().equals(self())) {
      names.unregisterIfHeld(childName, last.ref());
    }
  }

  private void lost(String name, ChildRef loser, ChildRef winner) {
    if (!holds(loser)) {
      return;
    }
    Mailbox box = handOff.isZero() ? null : mailboxes.open(loser.id(), loser.generation());
    if (box == null) {
      stopLoser(loser);
      return;
    }
    log.warn(
        "[{}] {}: child {} lost its name {} to {}: it may hand over for {}, then stops (name"
            + " conflict)",
        self().name(),
        supervisor,
        loser.id(),
        name,
        winner,
        handOff);
    box.prepend(List.of(new Envelope(new NameLost(name, winner), null, m -> {})));
    try {
      var unused =
          timer.schedule(
              () -> cluster.onCore().execute(() -> stopLoser(loser)),
              handOff.toNanos(),
              TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException stopped) {
      stopLoser(loser); // the supervisor stops: its children stop anyway
    }
  }

  /** Whether {@code loser} is still this node's current placement of its child. */
  private boolean holds(ChildRef loser) {
    Placement p = scope.getNow(loser.id());
    return !stopping.getAsBoolean()
        && p != null
        && !p.terminated()
        && p.node().equals(self())
        && p.generation() == loser.generation();
  }

  private void stopLoser(ChildRef loser) {
    Placement p = scope.getNow(loser.id());
    if (p == null || !holds(loser)) {
      return;
    }
    log.warn(
        "[{}] {}: child {} lost its name to a concurrent registration: stopping it (name"
            + " conflict)",
        self().name(),
        supervisor,
        loser.id());
    var unused = scope.putNow(loser.id(), p.terminatedBy(self()));
  }

  private NodeId self() {
    return cluster.self();
  }
}
