package io.flock.singleton;

import io.flock.membership.NodeId;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A singleton as one node sees it ({@link Singleton#status}), from replicated state: no node is
 * called.
 *
 * @param name the singleton's name
 * @param leader the incarnation the singleton is placed on, or null if it is not placed yet
 * @param generation the placement's generation (the fencing token), 0 if not placed
 * @param leaderSince when the current term began (the leader's clock), or null if its leader has
 *     not said so yet (it is starting, or the news is on its way)
 * @param dump the current term's {@link Leader#dump()}, as of {@code dumpedAt}; empty if unknown
 * @param dumpedAt when the leader last published its dump, or null
 * @param local what this node's activator is doing
 * @param createdAt when this node's activator started
 */
public record SingletonStatus(
    String name,
    @Nullable NodeId leader,
    long generation,
    @Nullable Instant leaderSince,
    Map<String, String> dump,
    @Nullable Instant dumpedAt,
    Activity local,
    Instant createdAt) {

  /** What one node's activator is doing. */
  public enum Activity {
    /** Waiting for the start delay, for quorum, or for the leader to go. */
    WAITING,
    /** This node runs the current term. */
    LEADING,
    /** This node's term is ending because the singleton stops here; the next one follows. */
    HANDING_OVER,
    /** This node's activator stopped. */
    STOPPED
  }

  /** Copies {@code dump}. */
  public SingletonStatus {
    dump = Map.copyOf(dump);
  }
}
