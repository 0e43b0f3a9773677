package io.flock.supervisor;

/**
 * Makes a {@link Child} from a {@link ChildSpec}. Registered under a name on every node, so that a
 * spec started on one node can run on another. Called on the supervisor's thread: it must be quick
 * and must not block; an exception it throws fails that start.
 */
@FunctionalInterface
public interface ChildFactory {
  /** A new child for one incarnation of {@code spec}. */
  Child create(ChildSpec spec);
}
