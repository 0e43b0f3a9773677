package io.flock.crdt;

import io.flock.crdt.ReplicationMessage.Status;
import io.flock.crdt.ReplicationMessage.SyncChunk;
import io.flock.crdt.ReplicationMessage.SyncDone;
import io.flock.crdt.ReplicationMessage.SyncPull;
import io.flock.crdt.ReplicationMessage.SyncRequest;
import io.flock.crdt.Replicator.Outgoing;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The digest half of a {@link Replicator} (see its class comment): when to pull from a neighbour,
 * the pull itself (bucket digests, then the differing buckets chunk by chunk), the answers to a
 * neighbour's pull, and catch-up rounds. The delta intervals and what the neighbours acknowledged
 * stay with the replicator, which this reaches through {@link Host}.
 *
 * <p>Not thread-safe: its replicator's owner thread only.
 */
final class DigestSync<K, V> {
  /** What a digest sync needs of its replicator. */
  interface Host<K, V> {
    /** The next local sequence number. */
    long sequence();

    /** {@code peer} holds every local delta so far (its digests equal this replica's). */
    void heldAll(ReplicaPeer peer);

    /** A status for {@code to}, saying that this replica is behind it when {@code behind}. */
    Status<K, V> status(ReplicaId to, boolean behind);

    /** A catch-up with a neighbour completed ({@link Replicator#progress}). */
    void progressed();
  }

  private final AWLWWMap<K, V> map;
  private final Replicator.Settings settings;
  private final SyncChunker<K, V> chunker;
  private final Map<ReplicaId, ReplicaPeer> peers;
  private final Host<K, V> host;
  private long syncsStarted;
  private long catchUpRound;

  DigestSync(
      AWLWWMap<K, V> map,
      Replicator.Settings settings,
      SyncChunker<K, V> chunker,
      Map<ReplicaId, ReplicaPeer> peers,
      Host<K, V> host) {
    this.map = map;
    this.settings = settings;
    this.chunker = chunker;
    this.peers = peers;
    this.host = host;
  }

  /** Starts a catch-up round (see {@link Replicator#catchUp}). */
  void catchUp(List<Outgoing<K, V>> out) {
    catchUpRound++;
    continueCatchUp(out);
  }

  long catchUpRound() {
    return catchUpRound;
  }

  long syncsStarted() {
    return syncsStarted;
  }

  /** Replicas caught up with in {@code round} or later, this one included. */
  int caughtUp(long round) {
    int n = 1;
    for (ReplicaPeer peer : peers.values()) {
      if (peer.caughtUp >= round) {
        n++;
      }
    }
    return n;
  }

  /** The neighbours caught up with in {@code round} or later. */
  Set<ReplicaId> caughtUpWith(long round) {
    Set<ReplicaId> out = new HashSet<>();
    peers.forEach(
        (id, peer) -> {
          if (peer.caughtUp >= round) {
            out.add(id);
          }
        });
    return out;
  }

  /** A tick: a pull that went unanswered too long starts again. */
  void tick(ReplicaId id, ReplicaPeer peer, List<Outgoing<K, V>> out) {
    ReplicaPeer.Pull pull = peer.pull;
    if (pull != null && ++pull.idleTicks > settings.syncTimeoutTicks()) {
      start(id, peer, out);
    }
  }

  /** After a tick: the neighbours the current catch-up round has not pulled from yet. */
  void continueCatchUp(List<Outgoing<K, V>> out) {
    if (catchUpRound == 0) {
      return;
    }
    peers.forEach(
        (id, peer) -> {
          if (peer.pull == null && peer.caughtUp < catchUpRound) {
            start(id, peer, out);
          }
        });
  }

  /**
   * A neighbour's status (its digest already noted on {@code peer}): pulls when it says this
   * replica is behind, or when the root digests stay different while nothing is unacknowledged
   * either way (the side with fewer keys first).
   */
  void onStatus(ReplicaId from, ReplicaPeer peer, Status<K, V> status, List<Outgoing<K, V>> out) {
    if (peer.pull != null || pulling()) {
      return; // one pull at a time: the first brings most of what the others would
    }
    if (status.behind()) {
      start(from, peer, out);
      return;
    }
    boolean quiet = status.seq() == peer.received && peer.acked == host.sequence();
    if (quiet && status.rootDigest() != map.rootDigest()) {
      boolean first =
          map.size() < status.size()
              || (map.size() == status.size() && map.replica().compareTo(from) < 0);
      int rounds = settings.mismatchRoundsBeforeSync() * (first ? 1 : 2);
      if (++peer.mismatchRounds >= rounds) {
        start(from, peer, out);
      }
    } else {
      peer.mismatchRounds = 0;
    }
  }

  /** Begins a pull from {@code from}: this replica's bucket digests. */
  void start(ReplicaId from, ReplicaPeer peer, List<Outgoing<K, V>> out) {
    ReplicaPeer.Pull pull = new ReplicaPeer.Pull();
    pull.round = catchUpRound;
    peer.pull = pull;
    peer.mismatchRounds = 0;
    syncsStarted++;
    out.add(new Outgoing<>(from, new SyncRequest<>(map.bucketDigests())));
  }

  /** A neighbour pulls from this replica: the first chunk of the differing buckets, or done. */
  void onRequest(
      ReplicaId from, ReplicaPeer peer, SyncRequest<K, V> request, List<Outgoing<K, V>> out) {
    peer.mismatchRounds = 0;
    long[] theirs = request.digests();
    BitSet differing = new BitSet(AWLWWMap.BUCKETS);
    for (int b = 0; b < AWLWWMap.BUCKETS; b++) {
      if (theirs[b] != map.bucketDigest(b)) {
        differing.set(b);
      }
    }
    if (differing.isEmpty()) {
      // The requester holds every entry we hold: all our deltas so far are in it.
      host.heldAll(peer);
      out.add(
          new Outgoing<>(from, new SyncDone<>(host.sequence(), map.rootDigest(), map.context())));
    } else {
      out.add(new Outgoing<>(from, chunker.chunk(differing, 0)));
    }
  }

  /** A neighbour asks for the next chunk of its pull. */
  void onPull(ReplicaId from, ReplicaPeer peer, SyncPull<K, V> pull, List<Outgoing<K, V>> out) {
    peer.mismatchRounds = 0; // it is repairing itself from us; let it finish first
    out.add(new Outgoing<>(from, chunker.chunk(pull.buckets(), pull.resume())));
  }

  /**
   * A chunk of this replica's pull was joined ({@code rootBefore}: the root digest before): asks
   * for the rest, compares again after a pass that changed something, or hands over.
   */
  void onChunk(
      ReplicaId from,
      ReplicaPeer peer,
      SyncChunk<K, V> chunk,
      long rootBefore,
      List<Outgoing<K, V>> out) {
    ReplicaPeer.Pull pull = peer.pull;
    if (pull == null) {
      return;
    }
    pull.idleTicks = 0;
    pull.changed |= map.rootDigest() != rootBefore;
    pull.wanted = chunk.remaining();
    pull.resume = chunk.resume();
    if (pull.wanted.isEmpty()) {
      // A whole pass: we hold everything it held when it answered the request.
      caughtUp(peer, pull.round);
    }
    if (pull.wanted.isEmpty() && !pull.changed) {
      // A whole pass taught us nothing: the difference is on its side. Hand over.
      peer.pull = null;
      out.add(new Outgoing<>(from, host.status(from, true)));
      continueCatchUp(out);
    } else if (pull.wanted.isEmpty()) {
      pull.changed = false;
      pull.round = catchUpRound;
      out.add(new Outgoing<>(from, new SyncRequest<>(map.bucketDigests())));
    } else {
      out.add(new Outgoing<>(from, new SyncPull<>(pull.wanted, pull.resume)));
    }
  }

  /** The neighbour found this replica's digests equal to its own: the pull ends. */
  void onDone(ReplicaPeer peer, List<Outgoing<K, V>> out) {
    ReplicaPeer.Pull pull = peer.pull;
    if (pull != null) {
      // It found our digests equal to its own when it answered: we held all it held.
      caughtUp(peer, pull.round);
    }
    peer.pull = null;
    peer.mismatchRounds = 0;
    continueCatchUp(out);
  }

  /** Whether a pull from any neighbour is on its way. */
  boolean pulling() {
    for (ReplicaPeer peer : peers.values()) {
      if (peer.pull != null) {
        return true;
      }
    }
    return false;
  }

  private void caughtUp(ReplicaPeer peer, long round) {
    if (round > peer.caughtUp) {
      peer.caughtUp = round;
      host.progressed();
    }
  }
}
