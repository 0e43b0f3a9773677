package io.flock.membership.internal.wire;

import org.jspecify.annotations.Nullable;

/**
 * The one table of wire type ids: every module of Flock registers its types inside its own range,
 * and users register theirs in {@link #USER}, which no Flock module uses. {@link WireTypeRegistry}
 * refuses a registration outside its owner's range when a node starts, so two modules can never
 * meet on one id (a user id 300 once silently replaced the supervisor's placement type).
 *
 * <pre>
 *   id            owner               types
 *   18 .. 39      flock.transport     String[], byte[], NodeId, Hello, Challenge, Proof, Accepted,
 *                                     Reject, Envelope
 *   100 .. 149    flock.crdt          ReplicaId, Dot, CausalContext, deltas, replication messages
 *   200 .. 249    flock.membership    MemberStatus, MemberRecord, MemberSet, Scoped, Heartbeat,
 *                                     JoinRequest, NodeId[], JoinAccepted, EndpointMessage, Reply,
 *                                     EmptyReply, FailedReply, NotJoined, Removed, YouAreDown,
 *                                     LifeRecord
 *   300 .. 399    flock.supervisor    Placement, RosterEntry, start messages
 *   400 .. 449    flock.registry      Registration, write batches
 *   450 .. 499    flock.groups        Membership
 *   500 .. 519    flock.singleton     LeaderRecord
 *   520 .. 999    (reserved for Flock)
 *   1000 .. 2^20  user                the application's own types
 * </pre>
 */
public enum WireRange {
  TRANSPORT("flock.transport", 18, 39),
  CRDT("flock.crdt", 100, 149),
  MEMBERSHIP("flock.membership", 200, 249),
  SUPERVISOR("flock.supervisor", 300, 399),
  REGISTRY("flock.registry", 400, 449),
  GROUPS("flock.groups", 450, 499),
  SINGLETON("flock.singleton", 500, 519),
  USER("user", 1000, 1 << 20);

  private final String module;
  private final int first;
  private final int last;

  WireRange(String module, int first, int last) {
    this.module = module;
    this.first = first;
    this.last = last;
  }

  /** The owning module's name. */
  public String module() {
    return module;
  }

  /** The first id of the range. */
  public int first() {
    return first;
  }

  /** The last id of the range (inclusive). */
  public int last() {
    return last;
  }

  /** Whether {@code id} is inside this range. */
  public boolean contains(int id) {
    return id >= first && id <= last;
  }

  /** The range of the Flock module named {@code module}, or null if it has none. */
  public static @Nullable WireRange ofModule(String module) {
    for (WireRange r : values()) {
      if (r != USER && r.module.equals(module)) {
        return r;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return module + " [" + first + ".." + last + "]";
  }
}
