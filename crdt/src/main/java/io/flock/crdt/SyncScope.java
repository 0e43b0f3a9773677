package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import java.util.BitSet;

/**
 * The keys one digest-sync chunk lists completely: every key of the {@code buckets}, plus the keys
 * of bucket {@code partialBucket} whose in-bucket position lies in {@code [partialFrom, partialTo)}
 * (no partial part when {@code partialBucket < 0}). Immutable.
 *
 * @param buckets whole buckets covered
 * @param partialBucket a bucket covered in part, or {@code -1}
 * @param partialFrom first in-bucket position covered (inclusive)
 * @param partialTo end of the in-bucket positions covered (exclusive)
 */
public record SyncScope(BitSet buckets, int partialBucket, long partialFrom, long partialTo) {

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException if a bucket index is out of range or the partial range is
   *     inverted
   */
  public SyncScope {
    requireNonNull(buckets, "buckets");
    buckets = (BitSet) buckets.clone();
    if (buckets.length() > AWLWWMap.BUCKETS) {
      throw new IllegalArgumentException("buckets: index " + (buckets.length() - 1) + " too big");
    }
    if (partialBucket >= AWLWWMap.BUCKETS || partialBucket < -1) {
      throw new IllegalArgumentException("partialBucket out of range: " + partialBucket);
    }
    if (partialBucket >= 0 && (partialFrom < 0 || partialTo < partialFrom)) {
      throw new IllegalArgumentException(
          "partial range [" + partialFrom + ", " + partialTo + ") is invalid");
    }
  }

  /** Whole buckets only. */
  public static SyncScope of(BitSet buckets) {
    return new SyncScope(buckets, -1, 0, 0);
  }

  @Override
  public BitSet buckets() {
    return (BitSet) buckets.clone();
  }

  /** Whether {@code key} is in this scope. */
  public boolean contains(Object key) {
    int bucket = AWLWWMap.bucketOf(key);
    if (buckets.get(bucket)) {
      return true;
    }
    if (bucket != partialBucket) {
      return false;
    }
    long sub = AWLWWMap.subOf(key);
    return sub >= partialFrom && sub < partialTo;
  }
}
