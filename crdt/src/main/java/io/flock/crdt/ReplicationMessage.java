package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * The messages {@link Replicator}s exchange. All are immutable values; the transport serializes
 * them (see {@link CrdtKryo}). Sequence numbers count the sender's local deltas.
 *
 * @param <K> the key type of the replicated map
 * @param <V> the value type of the replicated map
 */
public sealed interface ReplicationMessage<K, V> {

  /**
   * The join of the sender's local deltas with sequence numbers in {@code [start, end)}.
   *
   * @param start first sequence number included
   * @param end one past the last sequence number included
   * @param delta the grouped deltas
   */
  record DeltaInterval<K, V>(long start, long end, Delta<K, V> delta)
      implements ReplicationMessage<K, V> {
    /** Validates. */
    public DeltaInterval {
      requireNonNull(delta, "delta");
      if (start < 0 || end < start) {
        throw new IllegalArgumentException("invalid interval [" + start + ", " + end + ")");
      }
    }
  }

  /**
   * The receiver has joined every delta of the addressee with a sequence number below {@code upTo}.
   */
  record Ack<K, V>(long upTo) implements ReplicationMessage<K, V> {}

  /**
   * The periodic round's message when there is nothing to send: a few bytes.
   *
   * @param seq the sender's next local sequence number
   * @param rootDigest the digest of the sender's entries
   * @param size the number of keys the sender holds
   * @param behind the addressee needs a digest sync from the sender (its unacknowledged deltas were
   *     collected)
   * @param retiring per node, the incarnation floor below which the sender already refuses messages
   *     (present only while a retirement is pending)
   */
  record Status<K, V>(
      long seq, long rootDigest, int size, boolean behind, Map<String, Long> retiring)
      implements ReplicationMessage<K, V> {
    /** Validates and copies. */
    public Status {
      retiring = Map.copyOf(retiring);
    }
  }

  /**
   * Asks the addressee for the entries in which it differs from these bucket digests. (The array is
   * copied in and out, and equality is by content.)
   */
  @SuppressWarnings("ArrayRecordComponent")
  record SyncRequest<K, V>(long[] digests) implements ReplicationMessage<K, V> {
    /** Validates and copies. */
    public SyncRequest {
      if (digests.length != AWLWWMap.BUCKETS) {
        throw new IllegalArgumentException(
            "digests: expected " + AWLWWMap.BUCKETS + ", got " + digests.length);
      }
      digests = digests.clone();
    }

    @Override
    public long[] digests() {
      return digests.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SyncRequest<?, ?> r && java.util.Arrays.equals(digests, r.digests);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(digests);
    }

    @Override
    public String toString() {
      return "SyncRequest";
    }
  }

  /** Asks for the next chunk of a sync: these buckets, the first from position {@code resume}. */
  record SyncPull<K, V>(BitSet buckets, long resume) implements ReplicationMessage<K, V> {
    /** Validates and copies. */
    public SyncPull {
      buckets = (BitSet) buckets.clone();
      if (buckets.length() > AWLWWMap.BUCKETS || resume < 0) {
        throw new IllegalArgumentException("invalid pull");
      }
    }

    @Override
    public BitSet buckets() {
      return (BitSet) buckets.clone();
    }
  }

  /**
   * One bounded chunk of a digest sync: every entry the sender holds for the keys of {@code scope},
   * with the sender's context, and what is left to pull.
   */
  record SyncChunk<K, V>(
      SyncScope scope,
      Map<K, List<Dotted<V>>> entries,
      CausalContext context,
      BitSet remaining,
      long resume)
      implements ReplicationMessage<K, V> {
    /** Validates and copies. */
    public SyncChunk {
      requireNonNull(scope, "scope");
      requireNonNull(context, "context");
      entries = Map.copyOf(entries);
      remaining = (BitSet) remaining.clone();
    }

    @Override
    public BitSet remaining() {
      return (BitSet) remaining.clone();
    }
  }

  /**
   * The sync found no differing bucket: the sender's entries equal the requester's, so the
   * requester may adopt {@code context} if its root digest still equals {@code rootDigest}.
   */
  record SyncDone<K, V>(long seq, long rootDigest, CausalContext context)
      implements ReplicationMessage<K, V> {
    /** Validates. */
    public SyncDone {
      requireNonNull(context, "context");
    }
  }
}
