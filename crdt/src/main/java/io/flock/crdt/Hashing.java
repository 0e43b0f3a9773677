package io.flock.crdt;

/** Small, stable 64-bit mixing functions for digests and bucket choice. */
final class Hashing {
  private Hashing() {}

  /** The finalizer of SplitMix64 / MurmurHash3: a bijective avalanche of 64 bits. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
