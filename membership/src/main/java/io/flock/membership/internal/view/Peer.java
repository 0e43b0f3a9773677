package io.flock.membership.internal.view;

import io.flock.membership.MemberStatus;
import io.flock.membership.NodeId;

/**
 * What this node knows of one other member: its incarnation, the status it wrote of itself, and
 * this node's own verdicts (reachable, down). Core thread only.
 */
public final class Peer {
  private final NodeId id;
  private MemberStatus recordStatus = MemberStatus.JOINING;
  private boolean reachable = true;
  private boolean down;
  private boolean announcedUp;
  private boolean processGone;

  Peer(NodeId id) {
    this.id = id;
  }

  /** Its identity. */
  public NodeId id() {
    return id;
  }

  /** The status it wrote of itself. */
  public MemberStatus recordStatus() {
    return recordStatus;
  }

  /** Whether this node heard from it recently. */
  public boolean reachable() {
    return reachable;
  }

  /** Whether this node's failure detector declared it down. */
  public boolean down() {
    return down;
  }

  /** Whether its process is known to have ended (its address refused connections). */
  public boolean processGone() {
    return processGone;
  }

  /** Its address refused a connection: the process is gone. */
  public void processEnded() {
    processGone = true;
  }

  /** The status as this node shows it: DOWN when declared down and not gone. */
  public MemberStatus shownStatus() {
    return down && recordStatus != MemberStatus.LEFT ? MemberStatus.DOWN : recordStatus;
  }

  /** Whether it counts for replication and quorum: not down and not gone. */
  public boolean active() {
    return !down && recordStatus != MemberStatus.LEFT;
  }

  /** Whether it may run work: up in its own record and not down. */
  public boolean live() {
    return recordStatus == MemberStatus.UP && !down;
  }

  /**
   * Moves its own status along the {@link MemberStatus} table; a move the table does not allow (a
   * stale record) is ignored.
   *
   * @return whether the status changed
   */
  boolean record(MemberStatus next) {
    if (next == recordStatus || !recordStatus.canMoveTo(next)) {
      return false;
    }
    recordStatus = next;
    return true;
  }

  /**
   * @return whether this is the first time it is seen UP
   */
  boolean announceUp() {
    if (announcedUp || recordStatus != MemberStatus.UP) {
      return false;
    }
    announcedUp = true;
    return true;
  }

  /**
   * @return whether the verdict changed
   */
  boolean reachable(boolean now) {
    boolean changed = reachable != now;
    reachable = now;
    return changed;
  }

  /**
   * @return whether the verdict changed
   */
  boolean down(boolean now) {
    boolean changed = down != now;
    down = now;
    return changed;
  }
}
