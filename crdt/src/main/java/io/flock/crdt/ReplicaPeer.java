package io.flock.crdt;

import java.util.BitSet;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Replicator} knows of one neighbour: how far the delta intervals went each way, what
 * the neighbour last said of its state, and the digest sync this replica is pulling from it.
 *
 * <p>Not thread-safe: its replicator's owner thread only.
 */
final class ReplicaPeer {
  /** A digest sync this replica pulls from the neighbour: the buckets still wanted. */
  static final class Pull {
    BitSet wanted = new BitSet();
    long resume;
    int idleTicks;
    boolean changed;
    long round; // the catch-up round current when this pass began
  }

  long acked;
  long sentUpTo;
  long ackedAtLastTick; // what it had acknowledged at the previous tick
  int stalledTicks; // ticks in a row with sent deltas unacknowledged and no acknowledgement
  long received;
  int gapHits;
  int mismatchRounds;
  @Nullable Pull pull;
  long rootDigest;
  boolean rootKnown;
  long caughtUp; // the latest catch-up round a whole pass with it began in and completed

  /** One line for status and logs, with this replica's sequence and root digest. */
  String describe(long sequence, long ownRootDigest, java.util.Map<String, Long> refuses) {
    return "acked="
        + acked
        + "/"
        + sequence
        + " received="
        + received
        + " pulling="
        + (pull != null)
        + " rootMatch="
        + (rootKnown && rootDigest == ownRootDigest)
        + " refuses="
        + refuses;
  }
}
