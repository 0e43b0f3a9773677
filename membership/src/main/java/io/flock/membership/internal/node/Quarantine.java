package io.flock.membership.internal.node;

import io.flock.membership.NodeId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Incarnations this node declared down while it held quorum and its lease (Pekko's quarantine):
 * their messages are refused and they are told "you are down", at most once a second each, so a
 * cut-off incarnation never acts again on a stale view; it stops its work and rejoins as a new
 * incarnation. A verdict made without quorum (this node may be the one cut off) quarantines nobody:
 * hearing that member again revives it.
 *
 * <p>Also the false-down count: a downed incarnation heard from again was alive when it was
 * declared down (counted once per verdict).
 *
 * <p>Core thread only, except {@link #falseDowns}.
 */
final class Quarantine {
  private static final long TELL_EVERY_NANOS = 1_000_000_000L;

  private final Set<NodeId> quarantined = new HashSet<>();
  private final Set<NodeId> downed = new HashSet<>();
  private final Map<String, Long> toldAt = new HashMap<>();
  private final LongAdder falseDowns = new LongAdder();

  /** This node declared {@code id} down; {@code authoritative} if it had quorum and its lease. */
  void downed(NodeId id, boolean authoritative) {
    downed.add(id);
    if (authoritative) {
      quarantined.add(id);
    }
  }

  /**
   * {@code id} was heard from: if it had been declared down that verdict was false (counted once);
   * returns whether it is quarantined (its message must be refused).
   */
  boolean heard(NodeId id) {
    if (downed.remove(id)) {
      falseDowns.increment();
    }
    return quarantined.contains(id);
  }

  /** Whether this node declared {@code id} down while it held quorum and its lease. */
  boolean isQuarantined(NodeId id) {
    return quarantined.contains(id);
  }

  /** Whether {@code id} should be told now that it is down or removed (once a second each). */
  boolean shouldTell(NodeId id, long now) {
    Long last = toldAt.get(id.name());
    if (last != null && now - last < TELL_EVERY_NANOS) {
      return false;
    }
    toldAt.put(id.name(), now);
    return true;
  }

  /** Forgets every incarnation of {@code name} below {@code incarnation} (it was replaced). */
  void forgetBelow(String name, long incarnation) {
    quarantined.removeIf(id -> id.name().equals(name) && id.incarnation() < incarnation);
    downed.removeIf(id -> id.name().equals(name) && id.incarnation() < incarnation);
  }

  /** Down verdicts later contradicted by hearing the same incarnation (any thread). */
  long falseDowns() {
    return falseDowns.sum();
  }
}
