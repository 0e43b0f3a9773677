package io.flock.membership.internal.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * This node's lease: the right to run work, held only while a quorum demonstrably hears it.
 *
 * <p>Every heartbeat carries its send time on this node's monotonic clock; a peer that receives it
 * echoes the time back in its own next heartbeat. The lease expires {@code duration} after the send
 * time of the latest heartbeat that a quorum (this node included) acknowledged: with {@code k}
 * acknowledgements needed from peers, after the {@code k}-th newest acknowledged send time plus
 * {@code duration}. Only send times in the past count, so nothing (a stall of the core included)
 * can extend it, and {@link #isValid} reads one volatile and the clock, from any thread.
 *
 * <p>The expiry only moves forward while the node is a member: a lease a quorum granted is kept
 * until it expires when members join (the newcomer's first acknowledgement is a heartbeat away).
 *
 * <p>Safety rule (checked by the builder): with clock-rate drift bound ρ,
 *
 * <pre>
 *   lapse = duration · (1 + ρ) / (1 − ρ)        silence after which a peer's lease surely lapsed
 *   lapse + heartbeatInterval ≤ downAfter
 * </pre>
 *
 * A quorum acknowledged send time {@code s}; any quorum of members that each report "not
 * acknowledged for {@code lapse}" shares a member with it, which received {@code s} at least {@code
 * lapse} of its own time ago (its evidence counts from the receipt; the acknowledgement follows in
 * its next heartbeat), so {@code s + duration} has passed on this node's clock.
 *
 * <p>Threading: {@link #isValid}, {@link #expiresAt} and {@link #remainingNanos} from any thread;
 * the rest on the core thread.
 */
public final class Lease {
  private final long duration;
  private final LongSupplier nanos;
  private final Map<String, Long> acked = new HashMap<>();
  private final AtomicBoolean held = new AtomicBoolean();
  private volatile long expiresAt = Long.MIN_VALUE;

  /** A lease of {@code duration}, read on {@code nanos}. */
  public Lease(Duration duration, LongSupplier nanos) {
    this.duration = duration.toNanos();
    this.nanos = nanos;
  }

  /** Whether the lease is valid now. */
  public boolean isValid() {
    long e = expiresAt;
    return e != Long.MIN_VALUE && nanos.getAsLong() - e < 0;
  }

  /** When it expires, on the monotonic clock ({@link Long#MIN_VALUE} if never held). */
  public long expiresAt() {
    return expiresAt;
  }

  /** Nanoseconds left, 0 if lapsed. */
  public long remainingNanos() {
    long e = expiresAt;
    return e == Long.MIN_VALUE ? 0 : Math.max(0, e - nanos.getAsLong());
  }

  /** {@code peer} acknowledged the heartbeat this node sent at {@code sentAt}. */
  public void acked(String peer, long sentAt) {
    acked.merge(peer, sentAt, Math::max);
  }

  /** Forgets {@code peer}'s acknowledgements (it left or was replaced). */
  public void forget(String peer) {
    acked.remove(peer);
  }

  /** Forgets every acknowledgement and ends the lease now (this incarnation is done). */
  public void revoke() {
    acked.clear();
    expiresAt = Long.MIN_VALUE;
  }

  /**
   * Recomputes the expiry.
   *
   * @param joined whether this node is a member at all (a joining node holds no lease)
   * @param expected the names quorum is counted over
   * @param size the number quorum is counted against ({@code >= expected.size()})
   * @param self this node's name
   * @return whether the lease was regained by this (it was not held and is valid now)
   */
  public boolean recompute(boolean joined, Collection<String> expected, int size, String self) {
    long now = nanos.getAsLong();
    if (!joined) {
      expiresAt = Long.MIN_VALUE;
      return false;
    }
    int needed = size / 2 + 1 - (expected.contains(self) ? 1 : 0);
    long candidate = Long.MIN_VALUE;
    if (needed <= 0) {
      candidate = now + duration; // this node alone is a quorum
    } else {
      List<Long> times = new ArrayList<>();
      for (String name : expected) {
        Long t = acked.get(name);
        if (t != null && !name.equals(self)) {
          times.add(t);
        }
      }
      times.sort((a, b) -> Long.compare(b, a));
      if (times.size() >= needed) {
        candidate = times.get(needed - 1) + duration;
      }
    }
    // Only forward: a lease a quorum granted stays until it expires, even when the membership
    // grows (a new member's first acknowledgement is a heartbeat away); renewing it takes a quorum
    // of the current membership.
    long e = expiresAt;
    if (candidate != Long.MIN_VALUE && (e == Long.MIN_VALUE || candidate - e > 0)) {
      expiresAt = candidate;
    }
    return isValid() && held.compareAndSet(false, true);
  }

  /** Any thread: marks the lease lost if it lapsed; true exactly once per loss. */
  public boolean lapsed() {
    return !isValid() && held.compareAndSet(true, false);
  }

  /** Whether the lease was held at the last check (regained and not yet found lapsed). */
  public boolean held() {
    return held.get();
  }
}
