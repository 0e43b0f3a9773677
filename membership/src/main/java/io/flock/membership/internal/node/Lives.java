package io.flock.membership.internal.node;

import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.internal.protocol.ClusterMessages.LifeRecord;
import io.flock.membership.internal.view.MemberView;
import io.flock.membership.internal.wire.WireTypeRegistry;
import io.flock.membership.storage.StorageLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's <em>life</em>: a random number the node that forms a cluster writes, which every
 * member then holds. A process belongs to one life only (it joins once). A node with storage keeps
 * on disk the life it is in and the members it knows; when the whole cluster restarted (a new life
 * formed) such a node publishes the members of its previous life as <em>former</em> processes, and
 * every node then takes them as ended ({@link MemberView#former}). Without this, the placements a
 * durable scope brings back would name processes nobody here has heard of, which are never taken as
 * gone, and their work would never run again.
 *
 * <p>A node restarted alone into a running cluster finds its life unchanged and publishes nothing:
 * the members it knew may still be running.
 *
 * <p>Threading: core thread.
 */
final class Lives {
  private static final Logger log = LoggerFactory.getLogger(Lives.class);
  static final String LIFE = "flock.life";
  static final String FORMER = "flock.former";
  private static final String KEY = "life";

  private final NodeId self;
  private final Scope<String, Long> life;
  private final Scope<NodeId, Long> former;
  private final MemberView view;
  private final @Nullable StorageLog disk;
  private final WireTypeRegistry types;
  private @Nullable LifeRecord stored;
  private boolean published;
  private @Nullable LifeRecord written;

  Lives(
      NodeId self,
      Scope<String, Long> life,
      Scope<NodeId, Long> former,
      MemberView view,
      @Nullable StorageLog disk,
      WireTypeRegistry types) {
    this.self = self;
    this.life = life;
    this.former = former;
    this.view = view;
    this.disk = disk;
    this.types = types;
    former.subscribe(changes -> changes.forEach(c -> view.former(c.key())));
    life.subscribe(changes -> tick()); // the life arrived: publish (or not) at once
    if (disk != null) {
      try {
        disk.read(
            bytes -> {
              try {
                if (types.decode(bytes) instanceof LifeRecord r) {
                  stored = r;
                }
              } catch (IllegalArgumentException e) {
                log.warn(
                    "[{}] skipping a membership record on disk: {}", self.name(), e.getMessage());
              }
            });
      } catch (IOException e) {
        log.error("[{}] cannot read the membership kept on disk: {}", self.name(), e.toString());
      }
      LifeRecord r = stored;
      if (r != null) {
        for (NodeId m : r.members()) {
          if (m.name().equals(self.name()) && m.incarnation() >= self.incarnation()) {
            // Its durable scopes hold writes of that incarnation: reusing it would make them
            // look like writes this replica never issued.
            throw new IllegalStateException(
                "node "
                    + self.name()
                    + " starts as incarnation "
                    + self.incarnation()
                    + " but its storage was written by incarnation "
                    + m.incarnation()
                    + ": a restart needs a greater one (the default, the start time in ms, is)");
          }
        }
      }
    }
  }

  /** This node formed a new cluster: it names the life (and publishes the former at once). */
  void formed() {
    if (life.getNow(KEY) == null) {
      long l = ThreadLocalRandom.current().nextLong();
      var unused = life.putNow(KEY, l == 0 ? 1 : l);
    }
    tick();
  }

  /**
   * The processes of the cluster's previous life as far as this node knows: those published, and
   * this node's own record of its previous life while the current life is unknown or another one (a
   * node that just started cannot tell yet whether it rejoins a running cluster or a restarted one;
   * waiting costs only the moment until the life arrives).
   */
  java.util.Set<NodeId> formerMembers() {
    java.util.Set<NodeId> out = new java.util.HashSet<>(view.formerMembers());
    LifeRecord r = stored;
    if (r != null && r.life() != current()) {
      for (NodeId m : r.members()) {
        if (!m.equals(self)) {
          out.add(m);
        }
      }
    }
    return out;
  }

  /** The current life, or 0 while this node has not learned it. */
  long current() {
    Long l = life.getNow(KEY);
    return l == null ? 0 : l;
  }

  /**
   * A gossip round: once the life is known, publishes the previous life's members if it changed,
   * and keeps the life and the members known on disk.
   */
  void tick() {
    long now = current();
    StorageLog d = disk;
    if (now == 0 || d == null) {
      return;
    }
    LifeRecord before = stored;
    if (!published) {
      published = true;
      if (before != null && before.life() != now) {
        int n = 0;
        for (NodeId m : before.members()) {
          if (!m.equals(self)) {
            var unused = former.putNow(m, before.life());
            n++;
          }
        }
        log.info(
            "[{}] the cluster restarted (a new life); the {} processes of the previous one this node"
                + " knew are ended",
            self.name(),
            n);
      }
    }
    List<NodeId> members = new ArrayList<>(view.known());
    members.add(self);
    members.sort(Comparator.comparing(NodeId::name).thenComparingLong(NodeId::incarnation));
    LifeRecord next = new LifeRecord(now, members.toArray(new NodeId[0]));
    LifeRecord w = written;
    if (w != null && w.life() == now && java.util.Arrays.equals(w.members(), next.members())) {
      return;
    }
    try {
      d.rewrite(List.of(types.encode(next)));
      written = next;
    } catch (IOException | RuntimeException e) {
      log.error("[{}] cannot keep the membership on disk: {}", self.name(), e.toString());
    }
  }
}
