package io.flock.groups;

import io.flock.supervisor.ChildRef;

/**
 * One replicated entry of a scope: {@code ref} joined {@code group} {@code count} times (pg counts
 * each join; a member leaves when as many leaves came). Only the ref's own node writes it; its key
 * is {@link #key}.
 */
record Membership(String group, ChildRef ref, int count) {
  /** The scope key of {@code ref}'s membership of {@code group}. */
  static String key(String group, ChildRef ref) {
    return group + '\u0000' + ref.node().name() + '\u0000' + ref.id();
  }
}
