package io.flock.cluster;

import io.flock.singleton.Leader;
import io.flock.singleton.LeaderContext;
import io.flock.singleton.ShutdownReason;
import java.time.Duration;
import java.util.Map;

/**
 * The demo's singleton leader: it writes its term to the node's ledger as a child would (a {@code
 * start} line at {@code onLeader}, a {@code stop} line when {@code onShutdown} ends, under the id
 * {@link #ID}) and makes an {@code effect} every 50 ms while {@link LeaderContext#isCurrent}, so
 * the container tests check the singleton with the same ledger as the children.
 */
final class LedgerLeader implements Leader {
  static final String ID = "singleton-boss";

  /** Where the lines go: (id, event, generation). */
  @FunctionalInterface
  interface Recorder {
    void record(String id, String event, long generation);
  }

  private final Recorder recorder;
  private long ticks;
  private String reason = "";

  LedgerLeader(Recorder recorder) {
    this.recorder = recorder;
  }

  @Override
  public void onLeader(LeaderContext context) {
    recorder.record(ID, "start", context.generation());
  }

  @Override
  public Duration nextTimer() {
    return Duration.ofMillis(50);
  }

  @Override
  public void onTimer(LeaderContext context) {
    if (context.isCurrent()) {
      ticks++;
      recorder.record(ID, "effect", context.generation());
    }
  }

  @Override
  public void onShutdown(LeaderContext context, ShutdownReason why) {
    reason = why.name();
    recorder.record(ID, "stop", context.generation());
  }

  @Override
  public Map<String, String> dump() {
    return Map.of("ticks", Long.toString(ticks), "reason", reason);
  }
}
