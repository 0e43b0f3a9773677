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

  /** The names quorum is counted over: the explicit member set, or every member not gone. */
  public static Set<String> expected(MemberView view, @Nullable List<String> memberSet) {
    Set<String> expected = new HashSet<>();
    if (memberSet != null) {
      expected.addAll(memberSet);
    } else {
      expected.add(view.self().name());
      for (Peer p : view.peers()) {
        if (p.recordStatus() != MemberStatus.LEFT) {
          expected.add(p.id().name());
        }
      }
    }
    return expected;
  }

  /** The number quorum is counted against for {@code expected}. */
  public int size(Set<String> expected) {
    return Math.max(expected.size(), minSize);
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
    Set<String> expected = expected(view, memberSet);
    String self = view.self().name();
    int reachable = expected.contains(self) ? 1 : 0;
    for (Peer p : view.peers()) {
      if (expected.contains(p.id().name()) && p.reachable() && !p.down()) {
        reachable++;
      }
    }
    int size = size(expected);
    // A node that has not joined has no cluster to have quorum in.
    boolean now = reachable * 2 > size && view.ownStatus() != MemberStatus.JOINING;
    if (now == has) {
      return null;
    }
    has = now;
    return now
        ? new ClusterEvent.QuorumGained(reachable, size)
        : new ClusterEvent.QuorumLost(reachable, size);
  }
}
