package io.flock.singleton;

import io.flock.membership.NodeId;
import java.util.Comparator;
import java.util.Map;

/**
 * What a term publishes, under its node's name, replicated to every node: who leads, at which
 * generation, since when, and its dump; first (empty) for its {@link Admission}, then after each
 * callback, and withdrawn when the term ends. Conflicts go to the higher generation, then the later
 * publication of that term, so a stale leader can never hide its successor's record.
 *
 * @param leader the leading incarnation
 * @param generation the term's placement generation
 * @param incarnation which local start of the term's child this is (a crash restarts it in place)
 * @param seq the publication's number within the term
 * @param sinceMillis when the term began (epoch millis, the leader's clock)
 * @param dumpedAtMillis when this was published
 * @param dump the leader's dump
 */
record LeaderRecord(
    NodeId leader,
    long generation,
    int incarnation,
    long seq,
    long sinceMillis,
    long dumpedAtMillis,
    Map<String, String> dump) {

  static final Comparator<LeaderRecord> ORDER =
      Comparator.comparingLong(LeaderRecord::generation)
          .thenComparingInt(LeaderRecord::incarnation)
          .thenComparingLong(LeaderRecord::seq)
          .thenComparing(r -> r.leader().name())
          .thenComparingLong(r -> r.leader().incarnation());

  LeaderRecord {
    dump = Map.copyOf(dump);
  }
}
