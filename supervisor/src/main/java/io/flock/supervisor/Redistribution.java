package io.flock.supervisor;

/** When children move between live nodes. */
public enum Redistribution {
  /** Only when their node fails or leaves (the default, as Horde's). */
  PASSIVE,
  /** Also when membership changes: children whose best node changed move there. */
  ACTIVE
}
