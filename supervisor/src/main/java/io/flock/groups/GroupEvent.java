package io.flock.groups;

import io.flock.supervisor.ChildRef;
import java.util.List;

/**
 * What a monitor hears after its snapshot ({@link ProcessGroups#monitor}): members joined or left
 * one group, as OTP's {@code pg} monitors report them (a member that joined twice appears twice).
 */
public sealed interface GroupEvent {
  /** The group. */
  String group();

  /** The members that joined or left, each as many times as it did. */
  List<ChildRef> members();

  /** {@code members} joined {@code group}. */
  record Joined(String group, List<ChildRef> members) implements GroupEvent {
    /** Copies the list. */
    public Joined {
      members = List.copyOf(members);
    }
  }

  /** {@code members} left {@code group} (by a leave, their child's end, or their node gone). */
  record Left(String group, List<ChildRef> members) implements GroupEvent {
    /** Copies the list. */
    public Left {
      members = List.copyOf(members);
    }
  }
}
