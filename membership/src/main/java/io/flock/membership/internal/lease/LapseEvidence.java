package io.flock.membership.internal.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether another member's lease must have lapsed, from evidence, never from this node's silence
 * alone (it may be the one cut off). Each node reports, in its heartbeats, the members it has not
 * acknowledged for {@code lapse} (see {@link Lease}); a member's lease is known lapsed when a
 * quorum of members (this node counted on its own evidence) report so with fresh reports, or when
 * the member itself said in its latest heartbeat that it holds none. Core thread only.
 */
public final class LapseEvidence {
  private final long lapse;
  private final Map<String, Long> lastAcked = new HashMap<>(); // my acks of each peer
  private final Map<String, Report> reports = new HashMap<>();
  private final Map<String, Boolean> fencedSelfReport = new HashMap<>();

  private record Report(Set<String> unacked, long at) {}

  /** Evidence with lapse threshold {@code lapse}. */
  public LapseEvidence(Duration lapse) {
    this.lapse = lapse.toNanos();
  }

  /** This node acknowledged (or first saw) {@code peer} at {@code now}. */
  public void acked(String peer, long now) {
    lastAcked.put(peer, now);
  }

  /** {@code peer} said whether it is fenced (holds no lease though it is a member). */
  public void selfReport(String peer, boolean fenced) {
    fencedSelfReport.put(peer, fenced);
  }

  /** {@code reporter}'s latest list of members it has not acknowledged for {@code lapse}. */
  public void report(String reporter, Set<String> unacked, long now) {
    reports.put(reporter, new Report(Set.copyOf(unacked), now));
  }

  /** Forgets {@code peer} (left or replaced). */
  public void forget(String peer) {
    lastAcked.remove(peer);
    reports.remove(peer);
    fencedSelfReport.remove(peer);
  }

  /** Whether {@code peer} said it is fenced. */
  public boolean saysFenced(String peer) {
    return fencedSelfReport.getOrDefault(peer, false);
  }

  /** The peers this node has not acknowledged for {@code lapse}, to report in a heartbeat. */
  public List<String> unackedByMe(Collection<String> peers, long now) {
    List<String> out = new ArrayList<>();
    for (String p : peers) {
      Long at = lastAcked.get(p);
      if (at != null && now - at >= lapse) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * Whether {@code peer}'s lease must have lapsed.
   *
   * @param self this node's name
   * @param expected the names quorum is counted over
   * @param size the number quorum is counted against
   */
  public boolean lapsed(String peer, String self, Collection<String> expected, int size, long now) {
    if (saysFenced(peer)) {
      return true;
    }
    int votes = 0;
    Long mine = lastAcked.get(peer);
    if (expected.contains(self) && mine != null && now - mine >= lapse) {
      votes++;
    }
    for (String reporter : expected) {
      if (reporter.equals(self) || reporter.equals(peer)) {
        continue;
      }
      Report r = reports.get(reporter);
      if (r != null && now - r.at() < lapse && r.unacked().contains(peer)) {
        votes++;
      }
    }
    return votes >= size / 2 + 1;
  }
}
