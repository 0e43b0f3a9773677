package io.flock.membership.internal.scope;

import io.flock.crdt.AWLWWMap;
import io.flock.crdt.Change;
import io.flock.crdt.Journal;
import io.flock.crdt.ReplicationMessage;
import io.flock.crdt.Replicator;
import io.flock.membership.internal.wire.WireTypeRegistry;
import io.flock.membership.storage.StorageLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable scope's log on local disk: every change of the replica's state is appended (encoded as
 * the wire encodes it) before the call that made it returns, so before its acknowledgement leaves;
 * when the log has grown to twice the last snapshot (at least 1 MiB), or retired incarnations were
 * pruned, the next {@link #compact} rewrites it as one snapshot of the whole state, which carries
 * its causal context: a node whose disk is stale cannot bring a removed key back, since the others'
 * contexts say it was removed.
 *
 * <p>A log that cannot be written is reported once at ERROR and the scope carries on in memory (its
 * replicas elsewhere still hold it); the next successful snapshot clears it.
 *
 * <p>Threading: the core thread.
 */
final class ScopeJournal<K, V> implements Journal<K, V> {
  private static final Logger log = LoggerFactory.getLogger(ScopeJournal.class);
  private static final int MIN_COMPACT_BYTES = 1 << 20;
  private static final long RETRY_NANOS = 5_000_000_000L;

  private final String node;
  private final String scope;
  private final StorageLog storage;
  private final WireTypeRegistry types;
  private long snapshotBytes;
  private long readNanos;
  private boolean compactSoon;
  private boolean failing;
  private long failedAt;

  ScopeJournal(String node, String scope, StorageLog storage, WireTypeRegistry types) {
    this.node = node;
    this.scope = scope;
    this.storage = storage;
    this.types = types;
  }

  /**
   * Reads and decodes the log's records (records that cannot be decoded are skipped with a WARN
   * each). Any thread, before the journal is attached: the slow half of a load, kept off the core.
   */
  @SuppressWarnings("unchecked")
  List<ReplicationMessage<K, V>> read() throws IOException {
    long t0 = System.nanoTime();
    List<ReplicationMessage<K, V>> records = new ArrayList<>();
    storage.read(
        bytes -> {
          try {
            records.add((ReplicationMessage<K, V>) types.decode(bytes));
          } catch (IllegalArgumentException | ClassCastException e) {
            log.warn("[{}] scope {}: skipping a record on disk: {}", node, scope, e.getMessage());
          }
        });
    readNanos = System.nanoTime() - t0;
    return records;
  }

  /**
   * Core thread: joins {@code records} (from {@link #read}) into {@code map} (a record that cannot
   * be applied is skipped with a WARN) and returns the changes of its visible map.
   */
  List<Change<K, V>> replay(AWLWWMap<K, V> map, List<ReplicationMessage<K, V>> records) {
    long t0 = System.nanoTime();
    List<Change<K, V>> changes = new ArrayList<>();
    int applied = 0;
    for (ReplicationMessage<K, V> record : records) {
      try {
        changes.addAll(Replicator.replay(map, record));
        applied++;
      } catch (IllegalArgumentException | ClassCastException e) {
        log.warn("[{}] scope {}: skipping a record on disk: {}", node, scope, e.getMessage());
      }
    }
    log.info(
        "[{}] scope {}: {} records read from disk ({} bytes, read in {} ms off the core, joined in"
            + " {} ms), {} keys",
        node,
        scope,
        applied,
        storage.bytes(),
        readNanos / 1_000_000,
        (System.nanoTime() - t0) / 1_000_000,
        map.size());
    return changes;
  }

  @Override
  public void append(ReplicationMessage<K, V> record) {
    try {
      storage.append(types.encode(record));
      if (storage.bytes() > Math.max(MIN_COMPACT_BYTES, 2 * snapshotBytes)) {
        compactSoon = true;
      }
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  @Override
  public void pruned() {
    compactSoon = true;
  }

  /** Whether a snapshot is due (after a failure, tried again every 5 s at most). */
  boolean compactDue() {
    return compactSoon && (!failing || System.nanoTime() - failedAt > RETRY_NANOS);
  }

  /** Rewrites the log as one snapshot of {@code map}'s whole state. */
  void compact(AWLWWMap<K, V> map) {
    compactSoon = false;
    try {
      byte[] snapshot = types.encode(new ReplicationMessage.DeltaInterval<>(0, 0, map.state()));
      storage.rewrite(List.of(snapshot));
      snapshotBytes = snapshot.length;
      if (failing) {
        failing = false;
        log.info("[{}] scope {}: its log on disk is written again", node, scope);
      }
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  private void failed(Exception e) {
    failedAt = System.nanoTime();
    if (!failing) {
      failing = true;
      log.error(
          "[{}] scope {}: cannot write its log on disk; carrying on in memory: {}",
          node,
          scope,
          e.toString());
    }
    compactSoon = true;
  }

  void close() {
    try {
      storage.close();
    } catch (IOException e) {
      log.warn("[{}] scope {}: closing its log: {}", node, scope, e.toString());
    }
  }
}
