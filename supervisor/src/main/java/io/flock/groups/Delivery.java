package io.flock.groups;

import io.flock.supervisor.ChildRef;
import io.flock.supervisor.MessageException;
import org.jspecify.annotations.Nullable;

/**
 * One member's outcome of a {@link ProcessGroups#broadcast}.
 *
 * @param member the member
 * @param failure null when the message was queued in its mailbox, else why not
 */
public record Delivery(ChildRef member, MessageException.@Nullable Outcome failure) {
  /** Whether the message was queued at the member. */
  public boolean delivered() {
    return failure == null;
  }
}
