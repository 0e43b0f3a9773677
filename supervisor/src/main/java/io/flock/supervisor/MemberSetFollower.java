package io.flock.supervisor;

import io.flock.membership.Cluster;
import java.util.function.BooleanSupplier;

/**
 * Follows the explicit member set ({@link Cluster#setMembers}): a node the set excludes runs
 * nothing (the {@code Fence} stops its children); once they stopped it says so in the roster, and
 * the others take them at once. Back in the set, it says it runs again.
 *
 * <p>Threading: core thread.
 */
final class MemberSetFollower {
  private final Cluster cluster;
  private final Roster roster;
  private final LocalSupervisor local;
  private boolean announcedRunning = true; // what this node's roster entry says
  private boolean checkingStopped;

  MemberSetFollower(Cluster cluster, Roster roster, LocalSupervisor local) {
    this.cluster = cluster;
    this.roster = roster;
    this.local = local;
  }

  /** One look at the member set; {@code stopping}: the supervisor is stopping (say nothing). */
  void follow(BooleanSupplier stopping) {
    String self = cluster.self().name();
    boolean eligible = cluster.isEligibleNow(self);
    if (eligible && !announcedRunning) {
      announcedRunning = true;
      roster.announce(true);
    } else if (!eligible && announcedRunning && !checkingStopped) {
      checkingStopped = true;
      var unused =
          local
              .countChildren()
              .whenComplete(
                  (c, e) ->
                      cluster
                          .onCore()
                          .execute(
                              () -> {
                                checkingStopped = false;
                                if (c != null
                                    && c.specs() == 0
                                    && !stopping.getAsBoolean()
                                    && !cluster.isEligibleNow(self)) {
                                  announcedRunning = false;
                                  roster.announce(false);
                                }
                              }));
    }
  }
}
