package io.flock.crdt;

import io.flock.crdt.ReplicationMessage.DeltaInterval;
import io.flock.crdt.Replicator.Outgoing;
import java.util.Collection;
import java.util.List;

/**
 * The sending half of delta-interval anti-entropy for one {@link Replicator}: the buffer of local
 * deltas under consecutive sequence numbers, what goes to a neighbour on a flush or a tick, and the
 * collection of what every neighbour acknowledged. How far each neighbour got is kept in its {@link
 * ReplicaPeer}.
 *
 * <p>Not thread-safe: its replicator's owner thread only.
 */
final class DeltaSender<K, V> {
  private final Replicator.Settings settings;
  private final DeltaRing<K, V> buffer = new DeltaRing<>();
  private long bufferStart;
  private long seq;

  DeltaSender(Replicator.Settings settings) {
    this.settings = settings;
  }

  /** The next local sequence number (the number of local deltas recorded). */
  long sequence() {
    return seq;
  }

  /** The number of local deltas buffered for neighbours. */
  int buffered() {
    return buffer.size();
  }

  /**
   * Buffers {@code delta} (non-empty) of about {@code bytes} under the next sequence number; beyond
   * {@link Replicator.Settings#maxBufferedDeltas} the oldest go.
   */
  void record(Delta<K, V> delta, int bytes) {
    buffer.addLast(delta, Math.max(0, bytes));
    seq++;
    while (buffer.size() > settings.maxBufferedDeltas()) {
      buffer.removeFirst();
      bufferStart++;
    }
  }

  /** Whether {@code peer} lacks deltas no longer buffered: only a digest sync can repair that. */
  boolean lostFor(ReplicaPeer peer) {
    return peer.acked < seq && peer.acked < bufferStart;
  }

  /** Sends {@code peer} the buffered deltas it has not been sent yet. */
  void flush(ReplicaId to, ReplicaPeer peer, List<Outgoing<K, V>> out) {
    long from = Math.max(peer.sentUpTo, peer.acked);
    if (from < seq && from >= bufferStart) {
      send(to, peer, from, seq, out);
    }
  }

  /**
   * A tick with deltas {@code peer} has not acknowledged: those never sent go now; those sent go
   * again only once it acknowledged nothing for {@link Replicator#RESEND_AFTER_TICKS} ticks (lost
   * on a connection that broke, or dropped by a full queue). A neighbour that acknowledges more
   * each tick is working through a burst: sending it the whole unacknowledged rest again every
   * other tick, as before, doubled its work and the sender's (gossip rounds of up to 800 ms on the
   * core while 100,000 process-group joins replicated). A resend carries at most {@link
   * Replicator#RESEND_BATCHES} intervals' worth of deltas from the first unacknowledged one: a
   * neighbour that was only slow acknowledges them and the rest it already has; after a real loss
   * the next stall sends the next part.
   */
  void resend(ReplicaId to, ReplicaPeer peer, List<Outgoing<K, V>> out) {
    if (peer.acked != peer.ackedAtLastTick) {
      peer.stalledTicks = 0;
    } else if (peer.sentUpTo >= seq && ++peer.stalledTicks >= Replicator.RESEND_AFTER_TICKS) {
      peer.stalledTicks = 0;
      long upTo =
          Math.min(seq, peer.acked + (long) Replicator.RESEND_BATCHES * settings.maxSyncEntries());
      send(to, peer, peer.acked, upTo, out);
      return;
    }
    if (peer.sentUpTo < seq) {
      send(to, peer, Math.max(peer.sentUpTo, peer.acked), seq, out);
    }
  }

  /** Drops the buffered deltas every one of {@code peers} acknowledged (none without peers). */
  void collect(Collection<ReplicaPeer> peers) {
    if (peers.isEmpty()) {
      return; // keep (up to the bound) for neighbours to come
    }
    long minAcked = seq;
    for (ReplicaPeer peer : peers) {
      minAcked = Math.min(minAcked, peer.acked);
    }
    while (bufferStart < minAcked && !buffer.isEmpty()) {
      buffer.removeFirst();
      bufferStart++;
    }
  }

  private void send(
      ReplicaId to, ReplicaPeer peer, long from, long upTo, List<Outgoing<K, V>> out) {
    for (DeltaInterval<K, V> interval :
        buffer.intervals(
            bufferStart, from, upTo, settings.maxSyncEntries(), Replicator.MAX_INTERVAL_BYTES)) {
      out.add(new Outgoing<>(to, interval));
    }
    peer.sentUpTo = Math.max(peer.sentUpTo, upTo);
  }
}
