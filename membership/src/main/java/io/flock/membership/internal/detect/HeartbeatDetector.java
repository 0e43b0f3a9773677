package io.flock.membership.internal.detect;

import io.flock.membership.NodeId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * All-to-all heartbeats: a peer silent for {@code unreachableAfter} is unreachable, for {@code
 * downAfter} down. Lifeguard-style local health: when this node's own ticks come late (it was
 * stalled by GC, CPU starvation or a pause and could not have heard anyone), every peer counts as
 * heard when it woke, so this node blames nobody for its own absence.
 */
public final class HeartbeatDetector implements FailureDetector {
  private final long interval;
  private final long unreachableAfter;
  private final long downAfter;
  private final Map<NodeId, Long> lastHeard = new HashMap<>();
  private long lastTick;
  private long lastGap;

  /**
   * @throws IllegalArgumentException unless {@code interval < unreachableAfter < downAfter}
   */
  public HeartbeatDetector(Duration interval, Duration unreachableAfter, Duration downAfter) {
    if (interval.compareTo(unreachableAfter) >= 0 || unreachableAfter.compareTo(downAfter) >= 0) {
      throw new IllegalArgumentException(
          "failure detection needs heartbeat < unreachable < down, was "
              + interval
              + ", "
              + unreachableAfter
              + ", "
              + downAfter);
    }
    this.interval = interval.toNanos();
    this.unreachableAfter = unreachableAfter.toNanos();
    this.downAfter = downAfter.toNanos();
  }

  @Override
  public void heard(NodeId peer, long now) {
    lastHeard.put(peer, now);
  }

  @Override
  public void forget(NodeId peer) {
    lastHeard.remove(peer);
  }

  @Override
  public void tick(long now) {
    lastGap = lastTick == 0 ? 0 : now - lastTick;
    if (lastTick != 0 && now - lastTick > 2 * interval) {
      // This node was stalled and could not have heard anyone: every peer counts as heard when it
      // woke (safety does not rest on this: a stalled node's lease lapsed on its own clock).
      lastHeard.replaceAll((peer, heard) -> Math.max(heard + now - lastTick - interval, now));
    }
    lastTick = now;
  }

  /** For log lines: how long {@code peer} has been silent and when this detector last ticked. */
  @Override
  public String describe(NodeId peer, long now) {
    Long heard = lastHeard.get(peer);
    return "silent "
        + (heard == null ? "?" : (now - heard) / 1_000_000 + " ms")
        + ", ticks "
        + lastGap / 1_000_000
        + " ms apart";
  }

  @Override
  public Health health(NodeId peer, long now) {
    Long heard = lastHeard.get(peer);
    if (heard == null) {
      lastHeard.put(peer, now); // first seen now: give it the full timeout
      return Health.ALIVE;
    }
    long silence = now - heard;
    if (silence > downAfter) {
      return Health.DOWN;
    }
    return silence > unreachableAfter ? Health.UNREACHABLE : Health.ALIVE;
  }
}
