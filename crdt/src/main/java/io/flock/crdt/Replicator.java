package io.flock.crdt;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.ReplicationMessage.Ack;
import io.flock.crdt.ReplicationMessage.DeltaInterval;
import io.flock.crdt.ReplicationMessage.Status;
import io.flock.crdt.ReplicationMessage.SyncChunk;
import io.flock.crdt.ReplicationMessage.SyncDone;
import io.flock.crdt.ReplicationMessage.SyncPull;
import io.flock.crdt.ReplicationMessage.SyncRequest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Keeps one {@link AWLWWMap} replica converged with its neighbours: delta-interval anti-entropy
 * with a digest-based catch-up, as a pure state machine. Inputs are local deltas ({@link
 * #recordLocal}), received messages ({@link #receive}), periodic {@link #tick}s, the neighbour set
 * ({@link #setNeighbours}) and retirements ({@link #retire}); outputs are messages to send. It
 * reads no clock, opens no socket and starts no thread, so a simulated network can drive any number
 * of replicas deterministically.
 *
 * <h2>Delta intervals (Almeida, Shoker, Baquero, JPDC 2018, Algorithm 2)</h2>
 *
 * Local deltas go into a buffer under consecutive sequence numbers. Per neighbour the replicator
 * keeps the sequence number that neighbour acknowledged; {@link #flush} sends each neighbour the
 * join of its not yet sent deltas, and every {@link #tick} re-sends the join of its unacknowledged
 * ones, so a lost message is repaired on the next round. A receiver acknowledges only a contiguous
 * prefix: an interval that arrives ahead of a gap is joined (joins are always safe) but not
 * acknowledged past the gap. Buffer entries every neighbour acknowledged are collected. Every
 * replica sends only its own deltas to every neighbour (a full mesh, as Flock's membership is), so
 * a write reaches everyone in one hop.
 *
 * <h2>Digest catch-up</h2>
 *
 * The buffer is bounded. A neighbour whose unacknowledged deltas were collected, a new or restarted
 * one, or one whose {@link AWLWWMap#rootDigest root digest} stays different while both sides have
 * acknowledged everything (a loss the intervals cannot repair, for example a write that came
 * through a third replica now cut off), is brought up to date by a pull: it sends its {@link
 * AWLWWMap#BUCKETS bucket} digests, the other side answers with the entries of the differing
 * buckets in chunks of at most {@link Settings#maxSyncEntries} keys (splitting a big bucket by hash
 * range), and the puller asks for the rest one chunk at a time. Each chunk is a {@linkplain
 * AWLWWMap#joinScope scoped join}: exact for the keys it covers, harmless for the others, so a
 * bounded sync never loses data (unlike DeltaCrdt's, upstream issue dc#65). The responder keeps no
 * session state. When a digest comparison finds no difference, the responder's context is adopted
 * (safe because the entries are equal), which compacts the puller's context.
 *
 * <p>A {@linkplain #catchUp catch-up round} runs one such pull with every neighbour and counts the
 * ones whose whole pass completed: a replica back from a partition learns when it no longer sees
 * less than a majority did after it came back. The pulls, their answers and the rounds are the
 * replicator's digest half, {@code DigestSync}; the delta buffer and what goes to each neighbour
 * from it are its sending half, {@code DeltaSender}; what each neighbour holds is a {@code
 * ReplicaPeer}.
 *
 * <h2>Retirement</h2>
 *
 * {@link #retire} marks old incarnations of a node as ended: their messages are dropped, and their
 * context entries are pruned once every neighbour agrees ({@link Retirement}).
 *
 * <p>Not thread-safe: one owner thread drives it, together with its map.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class Replicator<K, V> {

  /**
   * Tuning.
   *
   * @param maxBufferedDeltas local deltas kept for neighbours that have not acknowledged them;
   *     beyond this the oldest are dropped and lagging neighbours catch up by digest sync
   * @param maxSyncEntries the most keys one delta interval or sync chunk carries
   * @param mismatchRoundsBeforeSync status rounds with different root digests (and nothing
   *     unacknowledged either way) before a digest sync is started
   * @param syncTimeoutTicks ticks without an answer before a sync is restarted
   * @param quietStatusTicks with a neighbour in step (its root digest, as it last said, equals this
   *     replica's, no sync on its way, nothing to announce) a status goes to it every this many
   *     ticks instead of every tick: an idle cluster's traffic drops by this factor, while a
   *     difference still shows at once (the side whose digest changed is not in step, and says so
   *     every tick)
   */
  public record Settings(
      int maxBufferedDeltas,
      int maxSyncEntries,
      int mismatchRoundsBeforeSync,
      int syncTimeoutTicks,
      int quietStatusTicks) {

    /** Validates. */
    public Settings {
      positive(maxBufferedDeltas, "maxBufferedDeltas");
      positive(maxSyncEntries, "maxSyncEntries");
      positive(mismatchRoundsBeforeSync, "mismatchRoundsBeforeSync");
      positive(syncTimeoutTicks, "syncTimeoutTicks");
      positive(quietStatusTicks, "quietStatusTicks");
    }

    /** As above, with a status to every neighbour every tick ({@code quietStatusTicks} 1). */
    public Settings(
        int maxBufferedDeltas,
        int maxSyncEntries,
        int mismatchRoundsBeforeSync,
        int syncTimeoutTicks) {
      this(maxBufferedDeltas, maxSyncEntries, mismatchRoundsBeforeSync, syncTimeoutTicks, 1);
    }

    private static void positive(int value, String name) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be >= 1, was " + value);
      }
    }

    /**
     * The defaults: 100,000 buffered deltas, 1,000 keys per message, 3 mismatch rounds, a 10 tick
     * sync timeout, a status every 25 ticks to a neighbour in step (5 s at the default gossip
     * round: an idle node's gossip is most of its idle cost).
     */
    public static Settings defaults() {
      return new Settings(100_000, 1_000, 3, 10, 25);
    }
  }

  /** A message to send. */
  public record Outgoing<K, V>(ReplicaId to, ReplicationMessage<K, V> message) {}

  /** What receiving a message caused: changes of the visible map, and replies to send. */
  public record Result<K, V>(List<Change<K, V>> changes, List<Outgoing<K, V>> replies) {
    static <K, V> Result<K, V> none() {
      return new Result<>(List.of(), List.of());
    }
  }

  /**
   * The most value bytes one delta interval carries (as the writers sized their deltas): a quarter
   * of the transport's 16 MiB frame, so that a burst of large values never makes a frame too large
   * to send, which would stall replication.
   */
  public static final long MAX_INTERVAL_BYTES = 4L << 20;

  /** Ticks without any acknowledgement from a neighbour before what it lacks is sent again. */
  static final int RESEND_AFTER_TICKS = 2;

  /** The most deltas one resend carries, in intervals of {@link Settings#maxSyncEntries}. */
  static final int RESEND_BATCHES = 8;

  private final AWLWWMap<K, V> map;
  private final Settings settings;
  private final DigestSync<K, V> sync;
  private final EntryRules<K, V> rules;
  private final DeltaSender<K, V> deltas;
  private long ticks;
  private long progress;
  private final TreeMap<ReplicaId, ReplicaPeer> peers = new TreeMap<>();
  private final Retirement retirement;
  private @Nullable Journal<K, V> journal;

  /**
   * A replicator for {@code map}; it must be the only writer of the map's remote state.
   *
   * @throws NullPointerException if an argument is null
   */
  public Replicator(AWLWWMap<K, V> map, Settings settings) {
    this(map, settings, null);
  }

  /**
   * A replicator for {@code map} whose keys each belong to one writer: an entry of key {@code k} is
   * accepted only with a dot of the node {@code owner.apply(k)} names (a member record only from
   * the member it describes). A message with any other entry is refused whole.
   *
   * @param owner the node that alone writes a key, or null when any node may write any key
   */
  public Replicator(
      AWLWWMap<K, V> map,
      Settings settings,
      java.util.function.@Nullable Function<K, String> owner) {
    this(map, settings, owner, null);
  }

  /**
   * As above, with {@code valueBytes}, the encoded size of a value: digest sync chunks are then
   * bounded by {@link #MAX_INTERVAL_BYTES} as well as by {@link Settings#maxSyncEntries}.
   */
  public Replicator(
      AWLWWMap<K, V> map,
      Settings settings,
      java.util.function.@Nullable Function<K, String> owner,
      java.util.function.@Nullable ToIntFunction<V> valueBytes) {
    this.map = requireNonNull(map, "map");
    this.settings = requireNonNull(settings, "settings");
    this.rules = new EntryRules<>(owner);
    this.retirement = new Retirement(map);
    this.deltas = new DeltaSender<>(settings);
    this.sync =
        new DigestSync<>(
            map,
            settings,
            new SyncChunker<>(map, settings.maxSyncEntries, valueBytes),
            peers,
            new DigestSync.Host<>() {
              @Override
              public long sequence() {
                return deltas.sequence();
              }

              @Override
              public void heldAll(ReplicaPeer peer) {
                acked(peer, deltas.sequence());
                peer.sentUpTo = Math.max(peer.sentUpTo, peer.acked);
                deltas.collect(peers.values());
              }

              @Override
              public Status<K, V> status(ReplicaId to, boolean behind) {
                return new Status<>(
                    deltas.sequence(),
                    map.rootDigest(),
                    map.size(),
                    behind,
                    retirement.announcement(to));
              }

              @Override
              public void progressed() {
                progress++;
              }
            });
  }

  /** The replicated map. */
  public AWLWWMap<K, V> map() {
    return map;
  }

  /**
   * Sets the journal that hears every change of the state from now on (null: none).
   *
   * @see #replay
   */
  public void journal(@Nullable Journal<K, V> journal) {
    this.journal = journal;
  }

  /**
   * Applies one {@link Journal} record to {@code map} again (a restart rebuilding its state): a
   * delta interval is joined, a sync chunk joined over its scope, a sync answer's context adopted
   * if the entries are equal now, as they were when it was heard. Other messages change nothing.
   *
   * @return the changes of the visible map it caused
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the record is malformed for {@code map} (nothing changed)
   */
  public static <K, V> List<Change<K, V>> replay(
      AWLWWMap<K, V> map, ReplicationMessage<K, V> record) {
    requireNonNull(map, "map");
    requireNonNull(record, "record");
    return switch (record) {
      case DeltaInterval<K, V> interval -> map.join(interval.delta());
      case SyncChunk<K, V> chunk -> map.joinScope(chunk.scope(), chunk.entries(), chunk.context());
      case SyncDone<K, V> done -> {
        if (done.rootDigest() == map.rootDigest()) {
          map.adoptContextOfEqualState(done.context());
        }
        yield List.of();
      }
      default -> List.of();
    };
  }

  /** This replica's id. */
  public ReplicaId self() {
    return map.replica();
  }

  /**
   * Records the delta of a local mutation, to be sent by the next {@link #flush} or {@link #tick}.
   *
   * @throws NullPointerException if {@code delta} is null
   */
  public void recordLocal(Delta<K, V> delta) {
    recordLocal(delta, 0);
  }

  /**
   * Records the delta of a local mutation whose encoded size is about {@code bytes}: delta
   * intervals are split so that none carries more than {@link #MAX_INTERVAL_BYTES} of them (a delta
   * larger than that alone goes alone).
   *
   * @throws NullPointerException if {@code delta} is null
   */
  public void recordLocal(Delta<K, V> delta, int bytes) {
    requireNonNull(delta, "delta");
    if (delta.isEmpty()) {
      return;
    }
    deltas.record(delta, bytes);
    Journal<K, V> j = journal;
    if (j != null) {
      long seq = deltas.sequence();
      j.append(new DeltaInterval<>(seq - 1, seq, delta));
    }
  }

  /**
   * Sets the neighbours. New ones start with nothing acknowledged; removed ones are forgotten and
   * no longer hold buffered deltas back.
   *
   * @throws NullPointerException if {@code neighbours} or an element is null
   */
  public void setNeighbours(Collection<ReplicaId> neighbours) {
    requireNonNull(neighbours, "neighbours");
    Set<ReplicaId> wanted = new HashSet<>();
    for (ReplicaId id : neighbours) {
      requireNonNull(id, "neighbours element");
      if (!id.equals(self()) && !retirement.isRetired(id)) {
        wanted.add(id);
      }
    }
    peers.keySet().retainAll(wanted);
    for (ReplicaId id : wanted) {
      peers.computeIfAbsent(id, x -> new ReplicaPeer());
    }
    retirement.retainPeers(wanted);
    deltas.collect(peers.values());
  }

  /** The current neighbours. */
  public Set<ReplicaId> neighbours() {
    return java.util.Collections.unmodifiableSet(peers.keySet());
  }

  /**
   * Marks every incarnation of {@code node} below {@code belowIncarnation} as ended: their messages
   * are dropped from now on, and their context entries are pruned once every neighbour agrees (see
   * the class comment).
   *
   * @throws NullPointerException if {@code node} is null
   * @throws IllegalArgumentException if this would retire this replica itself
   */
  public void retire(String node, long belowIncarnation) {
    requireNonNull(node, "node");
    if (node.equals(self().node()) && self().incarnation() < belowIncarnation) {
      throw new IllegalArgumentException("cannot retire this replica itself: " + self());
    }
    retirement.retire(node, belowIncarnation);
    peers.keySet().removeIf(retirement::isRetired);
    retirement.retainPeers(peers.keySet());
  }

  /** Sends every neighbour the local deltas it has not been sent yet. */
  public List<Outgoing<K, V>> flush() {
    List<Outgoing<K, V>> out = new ArrayList<>();
    peers.forEach((id, peer) -> deltas.flush(id, peer, out));
    return out;
  }

  /**
   * One periodic round: re-sends unacknowledged deltas, asks lagging neighbours to sync, sends a
   * small status to idle ones, restarts stalled syncs, and prunes retired incarnations when safe.
   */
  public List<Outgoing<K, V>> tick() {
    ticks++;
    boolean quietRound = ticks % settings.quietStatusTicks() == 0;
    List<Outgoing<K, V>> out = new ArrayList<>();
    boolean pruned =
        retirement.tryPrune(
            peers.keySet(),
            id -> {
              ReplicaPeer p = peers.get(id);
              return p != null && p.rootKnown && p.rootDigest == map.rootDigest() && p.pull == null;
            });
    Journal<K, V> j = journal;
    if (j != null && pruned) {
      j.pruned();
    }
    peers.forEach(
        (id, peer) -> {
          Map<String, Long> announce = retirement.announcement(id);
          long seq = deltas.sequence();
          if (deltas.lostFor(peer)) {
            out.add(
                new Outgoing<>(
                    id, new Status<>(seq, map.rootDigest(), map.size(), true, announce)));
          } else if (peer.acked < seq) {
            deltas.resend(id, peer, out);
          } else if (!inStep(peer) || !announce.isEmpty() || quietRound) {
            out.add(
                new Outgoing<>(
                    id, new Status<>(seq, map.rootDigest(), map.size(), false, announce)));
          }
          peer.ackedAtLastTick = peer.acked;
          sync.tick(id, peer, out);
        });
    sync.continueCatchUp(out);
    return out;
  }

  /**
   * Starts a catch-up round: a fresh digest sync with every neighbour (each as soon as the one in
   * progress with it, begun earlier, has ended). Once {@link #caughtUp} of the round counts a
   * neighbour, this replica has held everything that neighbour held at a moment after this call. A
   * replica that was cut off uses it to learn that it no longer sees an older state than a
   * majority.
   *
   * @return the messages to send
   */
  public List<Outgoing<K, V>> catchUp() {
    List<Outgoing<K, V>> out = new ArrayList<>();
    sync.catchUp(out);
    return out;
  }

  /** The current catch-up round (0 before the first {@link #catchUp}). */
  public long catchUpRound() {
    return sync.catchUpRound();
  }

  /**
   * How many replicas, this one included, it has caught up with in catch-up round {@code round} or
   * a later one: a whole digest sync pass with each began in that round and completed.
   */
  public int caughtUp(long round) {
    return sync.caughtUp(round);
  }

  /**
   * The neighbours (not this replica) it has caught up with in catch-up round {@code round} or a
   * later one, as {@link #caughtUp} counts them.
   */
  public Set<ReplicaId> caughtUpWith(long round) {
    return sync.caughtUpWith(round);
  }

  /**
   * A counter that grows whenever a neighbour acknowledged more of this replica's deltas or a
   * catch-up with one completed: what {@link #holders} and {@link #caughtUp} answer may have grown
   * only when it did, so a caller waiting on either checks again then instead of polling.
   */
  public long progress() {
    return progress;
  }

  private void acked(ReplicaPeer peer, long upTo) {
    if (upTo > peer.acked) {
      peer.acked = upTo;
      progress++;
    }
  }

  /**
   * Handles one message from {@code from}. Messages from non-neighbours and retired incarnations
   * are dropped.
   *
   * @return the changes of the visible map and the replies to send
   * @throws IllegalArgumentException if the message is malformed; nothing is changed, and the
   *     caller should drop the connection it came on
   */
  public Result<K, V> receive(ReplicaId from, ReplicationMessage<K, V> message) {
    requireNonNull(from, "from");
    requireNonNull(message, "message");
    ReplicaPeer peer = peers.get(from);
    if (peer == null || retirement.isRetired(from)) {
      return Result.none();
    }
    List<Outgoing<K, V>> out = new ArrayList<>(1);
    List<Change<K, V>> changes = List.of();
    switch (message) {
      case DeltaInterval<K, V> interval -> {
        rules.check(from, interval.delta().entries(), true);
        changes = map.join(interval.delta());
        journal(interval);
        if (interval.start() <= peer.received) {
          peer.received = Math.max(peer.received, interval.end());
          peer.gapHits = 0;
        } else if (++peer.gapHits >= settings.mismatchRoundsBeforeSync && peer.pull == null) {
          // It keeps sending from beyond what we hold: it believes we have the rest (an
          // acknowledgement of a sync whose answer we lost). A pull re-aligns us.
          peer.gapHits = 0;
          sync.start(from, peer, out);
        }
        out.add(new Outgoing<>(from, new Ack<>(peer.received)));
      }
      case Ack<K, V> ack -> {
        acked(peer, Math.min(ack.upTo(), deltas.sequence()));
        peer.sentUpTo = Math.max(peer.sentUpTo, peer.acked);
        deltas.collect(peers.values());
      }
      case Status<K, V> status -> onStatus(from, peer, status, out);
      case SyncRequest<K, V> request -> sync.onRequest(from, peer, request, out);
      case SyncPull<K, V> pull -> sync.onPull(from, peer, pull, out);
      case SyncChunk<K, V> chunk -> {
        rules.check(from, chunk.entries(), false);
        long rootBefore = map.rootDigest();
        changes = map.joinScope(chunk.scope(), chunk.entries(), chunk.context());
        journal(chunk);
        sync.onChunk(from, peer, chunk, rootBefore, out);
      }
      case SyncDone<K, V> done -> {
        // Equal digests at the responder mean we held all of its deltas below done.seq() (it
        // marked them acknowledged); adopting its context also needs the entries equal now.
        peer.received = Math.max(peer.received, done.seq());
        if (done.rootDigest() == map.rootDigest()) {
          map.adoptContextOfEqualState(done.context());
          journal(done);
        }
        sync.onDone(peer, out);
      }
    }
    return new Result<>(changes, out);
  }

  private void journal(ReplicationMessage<K, V> record) {
    Journal<K, V> j = journal;
    if (j != null) {
      j.append(record);
    }
  }

  // ---- observation ----

  /** The number of local deltas buffered for neighbours. */
  public int bufferedDeltas() {
    return deltas.buffered();
  }

  /** The next local sequence number (the number of local deltas recorded). */
  public long sequence() {
    return deltas.sequence();
  }

  /**
   * How many replicas hold every local delta below {@code upTo}: this one and each neighbour that
   * acknowledged up to it.
   */
  public int holders(long upTo) {
    int n = 1;
    for (ReplicaPeer peer : peers.values()) {
      if (peer.acked >= upTo) {
        n++;
      }
    }
    return n;
  }

  /** How many local deltas {@code neighbour} has not acknowledged (0 for a non-neighbour). */
  public long lag(ReplicaId neighbour) {
    ReplicaPeer peer = peers.get(neighbour);
    return peer == null ? 0 : deltas.sequence() - peer.acked;
  }

  /** How many digest syncs this replica has started as the puller. */
  public long syncsStarted() {
    return sync.syncsStarted();
  }

  /** Retirements announced but not yet pruned: node name to incarnation floor. */
  public Map<String, Long> pendingRetirements() {
    return retirement.pending();
  }

  /** A one-line description of each neighbour's replication state, for status and logs. */
  public Map<ReplicaId, String> describeNeighbours() {
    Map<ReplicaId, String> out = new TreeMap<>();
    peers.forEach(
        (id, p) ->
            out.put(id, p.describe(deltas.sequence(), map.rootDigest(), retirement.refusedBy(id))));
    return out;
  }

  /** Whether a digest sync from {@code neighbour} is in progress. */
  public boolean isSyncing(ReplicaId neighbour) {
    ReplicaPeer peer = peers.get(neighbour);
    return peer != null && peer.pull != null;
  }

  // ---- internals ----

  private void onStatus(
      ReplicaId from, ReplicaPeer peer, Status<K, V> status, List<Outgoing<K, V>> out) {
    retirement.heard(from, status.retiring());
    peer.rootDigest = status.rootDigest();
    peer.rootKnown = true;
    sync.onStatus(from, peer, status, out);
  }

  /** Whether {@code peer} is in step: it last said its root digest equals ours, nothing pending. */
  private boolean inStep(ReplicaPeer peer) {
    return peer.rootKnown
        && peer.rootDigest == map.rootDigest()
        && peer.pull == null
        && peer.mismatchRounds == 0;
  }
}
