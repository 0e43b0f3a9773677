package io.flock.membership.internal.quorum;

import io.flock.membership.ClusterEvent;
import io.flock.membership.MemberStatus;
import io.flock.membership.internal.view.MemberView;
import io.flock.membership.internal.view.Peer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Whether this node has quorum: it reaches (itself included) more than half of the expected
 * members, never counted against fewer than {@code minSize}. Expected are the explicit member set
 * when one is set, else every member that has not gracefully left (so a crashed node still counts).
 * Core thread only.
 */
public final class Quorum {
  private final int minSize;
  private boolean has;

  /** Counts against at least {@code minSize} members (0: the member count). */
  public Quorum(int minSize) {
    this.minSize = minSize;
  }

  /** Whether this node had quorum at the last {@link #update}. */
  public boolean has() {
    return has;
  }

  /**
   * Recounts.
   *
   * @param memberSet the explicit member set, or null for automatic membership
   * @return the event if the verdict changed, else null
   */
  public @Nullable ClusterEvent update(MemberView view, @Nullable List<String> memberSet) {
    Set<String> expected = new HashSet<>();
    String self = view.self().name();
    if (memberSet != null) {
      expected.addAll(memberSet);
    } else {
      expected.add(self);
      for (Peer p : view.peers()) {
        if (p.recordStatus() != MemberStatus.LEFT) {
          expected.add(p.id().name());
        }
      }
    }
    int reachable = expected.contains(self) ? 1 : 0;
    for (Peer p : view.peers()) {
      if (expected.contains(p.id().name()) && p.reachable() && !p.down()) {
        reachable++;
      }
    }
    int size = Math.max(expected.size(), minSize);
    boolean now = reachable * 2 > size;
    if (now == has) {
      return null;
    }
    has = now;
    return now
        ? new ClusterEvent.QuorumGained(reachable, size)
        : new ClusterEvent.QuorumLost(reachable, size);
  }
}
