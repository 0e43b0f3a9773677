package io.flock.singleton;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The checker of the singleton tests: a ledger of leadership intervals ({@code onLeader} begins
 * one, the end of {@code onShutdown} ends it) written by the leaders themselves while they run,
 * plus a fenced resource they write to on every tick (guarded by {@code isCurrent}), which refuses
 * a token lower than one it has seen. Never what the nodes say of themselves.
 */
final class Leadership {
  /** One term as it really ran. */
  static final class Interval {
    final String node;
    final long generation;
    final long begin = System.nanoTime();
    volatile long end;
    volatile @Nullable ShutdownReason reason;

    Interval(String node, long generation) {
      this.node = node;
      this.generation = generation;
    }

    boolean open() {
      return end == 0;
    }

    @Override
    public String toString() {
      return node + "#" + generation + (open() ? " (running)" : " (" + reason + ")");
    }
  }

  final List<Interval> intervals = new CopyOnWriteArrayList<>();
  final List<String> overlaps = new CopyOnWriteArrayList<>();
  final List<String> clusterChanges = new CopyOnWriteArrayList<>();
  final List<String> effects = new CopyOnWriteArrayList<>();
  final FencedResource resource = new FencedResource();

  /** A fenced outside system: it refuses a token lower than the highest it accepted. */
  static final class FencedResource {
    private final AtomicLong highest = new AtomicLong();
    final AtomicLong refused = new AtomicLong();

    boolean write(long token) {
      while (true) {
        long h = highest.get();
        if (token < h) {
          refused.incrementAndGet();
          return false;
        }
        if (highest.compareAndSet(h, token)) {
          return true;
        }
      }
    }

    long highest() {
      return highest.get();
    }
  }

  /** A leader that records its term, ticks every {@code tick} and writes with its token. */
  Leader leader(Duration tick) {
    return new Leader() {
      private @Nullable Interval interval;
      private int ticks;

      @Override
      public void onLeader(LeaderContext ctx) {
        Interval mine = new Interval(ctx.node(), ctx.generation());
        synchronized (intervals) {
          for (Interval other : intervals) {
            if (other.open()) {
              overlaps.add(mine + " began while " + other + " ran");
            }
          }
          intervals.add(mine);
        }
        interval = mine;
      }

      @Override
      public void onClusterChange(LeaderContext ctx, io.flock.membership.ClusterEvent event) {
        clusterChanges.add(ctx.node() + ": " + event.getClass().getSimpleName());
      }

      @Override
      public Duration nextTimer() {
        return tick;
      }

      @Override
      public void onTimer(LeaderContext ctx) {
        ticks++;
        if (ctx.isCurrent()) {
          if (!resource.write(ctx.generation())) {
            effects.add("refused " + ctx.node() + "#" + ctx.generation());
          }
        }
      }

      @Override
      public void onShutdown(LeaderContext ctx, ShutdownReason reason) {
        Interval mine = java.util.Objects.requireNonNull(interval);
        synchronized (intervals) {
          mine.reason = reason;
          mine.end = System.nanoTime();
        }
      }

      @Override
      public Map<String, String> dump() {
        return Map.of("ticks", Integer.toString(ticks));
      }
    };
  }

  /** The terms running now. */
  List<Interval> running() {
    List<Interval> out = new ArrayList<>();
    for (Interval i : intervals) {
      if (i.open()) {
        out.add(i);
      }
    }
    return out;
  }

  /** The one running term, or null unless exactly one runs. */
  @Nullable Interval theLeader() {
    List<Interval> r = running();
    return r.size() == 1 ? r.get(0) : null;
  }

  /** Whether the generations of the terms, in the order they began, only grow. */
  boolean generationsGrow() {
    long last = -1;
    for (Interval i : intervals) {
      if (i.generation < last) {
        return false;
      }
      last = i.generation;
    }
    return true;
  }
}
