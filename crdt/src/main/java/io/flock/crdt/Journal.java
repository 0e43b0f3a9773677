package io.flock.crdt;

/**
 * Hears every change of a replica's state as a record, so that the state can be kept on disk and
 * rebuilt after a restart with {@link Replicator#replay}: a local write or a received delta as a
 * {@link ReplicationMessage.DeltaInterval}, a digest-sync answer as a {@link
 * ReplicationMessage.SyncChunk}, an adopted context as a {@link ReplicationMessage.SyncDone}.
 * Replaying the records of a replica in the order it heard them, onto any replica (an empty one, or
 * one that holds more), joins exactly the state they carried: each is a join, so order among
 * replicas and duplicates do not matter.
 *
 * <p>Threading: called on the replicator's thread, inside the call that changed the state and
 * before its replies are returned, so a record is appended before its acknowledgement is sent.
 */
public interface Journal<K, V> {
  /**
   * A change of the state. The record must not be modified; it may be kept.
   *
   * @param record the change (never null)
   */
  void append(ReplicationMessage<K, V> record);

  /**
   * The state changed in a way no record carries (the causal context of retired incarnations was
   * pruned): the journal should write the whole state again soon. The default does nothing.
   */
  default void pruned() {}
}
