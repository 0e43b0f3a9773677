package io.flock.membership;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A member's status. {@code JOINING}, {@code UP}, {@code LEAVING} and {@code LEFT} are written by
 * the member itself into the replicated member map; {@code DOWN} is each node's own failure
 * detector's verdict on a member it has not heard from for too long, so no partition can write a
 * healthy node down for everyone.
 *
 * <pre>
 *  JOINING ──► UP ──► LEAVING ──► LEFT
 *     │        │ ▲       │
 *     └────────┴─┴► DOWN ◄┘      (DOWN ──► UP when it is heard from again)
 * </pre>
 */
public enum MemberStatus {
  JOINING,
  UP,
  LEAVING,
  LEFT,
  DOWN;

  private static final Map<MemberStatus, Set<MemberStatus>> ALLOWED =
      new EnumMap<>(MemberStatus.class);

  static {
    ALLOWED.put(JOINING, EnumSet.of(UP, LEAVING, LEFT, DOWN));
    ALLOWED.put(UP, EnumSet.of(LEAVING, LEFT, DOWN));
    ALLOWED.put(LEAVING, EnumSet.of(LEFT, DOWN));
    ALLOWED.put(DOWN, EnumSet.of(UP, LEAVING, LEFT));
    ALLOWED.put(LEFT, EnumSet.noneOf(MemberStatus.class));
  }

  /** Whether a member may move from this status to {@code next}. */
  public boolean canMoveTo(MemberStatus next) {
    Set<MemberStatus> allowed = ALLOWED.get(this);
    return allowed != null && allowed.contains(next);
  }

  /**
   * Checks a move.
   *
   * @throws IllegalStateException if the move is not in the table
   */
  public MemberStatus moveTo(MemberStatus next) {
    if (!canMoveTo(next)) {
      throw new IllegalStateException("illegal member status change " + this + " -> " + next);
    }
    return next;
  }
}
