package io.flock.membership.internal.removal;

import io.flock.crdt.Change;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.internal.view.MemberView;
import io.flock.membership.internal.view.Peer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Removal of dead members from the expected membership, so members that crashed under unique names
 * (a Deployment, an autoscaler) stop counting for quorum. A member this node has seen down for
 * {@code removeAfter} is removed by this node only while it has quorum; an operator may remove one
 * at any time ({@link #remove}). Removals are replicated in the {@code flock.removed} scope as name
 * → highest removed incarnation, so every node drops the same incarnations, and a removed
 * incarnation that speaks again is told so (it then stops its work and rejoins as a new one).
 *
 * <p>Core thread only.
 */
public final class Removals {
  /** What the node does on a removal. */
  public interface Host {
    /** Drops {@code peer} everywhere (view, detector, lease, replication, connections). */
    void removed(Peer peer);

    /** This node's own incarnation was removed. */
    void removedSelf();

    /** Whether this node has quorum now. */
    boolean hasQuorum();
  }

  private final java.util.function.Supplier<NodeId> self;
  private final long removeAfter;
  private final Scope<String, Long> scope;
  private final MemberView view;
  private final Host host;
  private final Map<String, Long> downSince = new HashMap<>();

  /** Removals over the replicated {@code scope}. */
  public Removals(
      java.util.function.Supplier<NodeId> self,
      Duration removeAfter,
      Scope<String, Long> scope,
      MemberView view,
      Host host) {
    this.self = self;
    this.removeAfter = removeAfter.toNanos();
    this.scope = scope;
    this.view = view;
    this.host = host;
    scope.subscribe(this::onChanges);
  }

  /** A heartbeat tick: removes members down for {@code removeAfter}, if this node has quorum. */
  public void tick(long now) {
    downSince.keySet().removeIf(key -> view.get(key.substring(0, key.lastIndexOf('#'))) == null);
    for (Peer p : List.copyOf(view.peers())) {
      String key = p.id().name() + "#" + p.id().incarnation();
      if (!p.down()) {
        downSince.remove(key);
        continue;
      }
      long since = downSince.computeIfAbsent(key, k -> now);
      if (now - since >= removeAfter && host.hasQuorum()) {
        remove(p.id());
      }
    }
  }

  /** Removes {@code member}'s incarnation (and older ones) from the membership. */
  public void remove(NodeId member) {
    Long current = scope.getNow(member.name());
    if (current == null || current < member.incarnation()) {
      var unused = scope.putNow(member.name(), member.incarnation());
    }
  }

  /** Whether {@code id} is a removed incarnation. */
  public boolean isRemoved(NodeId id) {
    Long removed = scope.getNow(id.name());
    return removed != null && removed >= id.incarnation();
  }

  private void onChanges(List<Change<String, Long>> changes) {
    for (Change<String, Long> c : changes) {
      Long incarnation =
          switch (c) {
            case Change.Added<String, Long> a -> a.newValue();
            case Change.Updated<String, Long> u -> u.newValue();
            case Change.Removed<String, Long> r -> null;
          };
      if (incarnation == null) {
        continue;
      }
      String name = c.key();
      NodeId me = self.get();
      if (name.equals(me.name())) {
        if (incarnation >= me.incarnation()) {
          host.removedSelf();
        }
        continue;
      }
      Peer p = view.get(name);
      if (p != null && p.id().incarnation() <= incarnation) {
        host.removed(p);
      }
    }
  }
}
