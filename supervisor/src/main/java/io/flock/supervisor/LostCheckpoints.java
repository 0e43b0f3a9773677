package io.flock.supervisor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DistributedSupervisor.Builder#handOffLostCheckpoints()}: each conflict a copy on this node
 * lost ({@link Checkpoints#onConflictLost}) sends the loser's last checkpoint to the winning copy
 * as a {@link LostCheckpoint}. Best effort: a winner that moved on meanwhile does not get it (one
 * WARN).
 */
final class LostCheckpoints {
  private static final Logger log = LoggerFactory.getLogger(LostCheckpoints.class);

  private LostCheckpoints() {}

  static void forward(Checkpoints checkpoints, Messenger messenger, String node, String name) {
    checkpoints.onConflictLost(
        (winner, lost) -> {
          log.info(
              "[{}] {}: {} lost a conflict at generation {}; its last checkpoint goes to {}",
              node,
              name,
              lost.id(),
              lost.generation(),
              winner);
          var unused =
              messenger
                  .tell(winner, new LostCheckpoint(lost))
                  .exceptionally(
                      e -> {
                        log.warn(
                            "[{}] {}: the lost checkpoint of {} did not reach {}: {}",
                            node,
                            name,
                            lost.id(),
                            winner,
                            e.toString());
                        return null;
                      });
        });
  }
}
