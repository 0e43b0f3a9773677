package io.flock.supervisor;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.Endpoint;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.supervisor.CheckpointWire.Held;
import io.flock.supervisor.CheckpointWire.Read;
import io.flock.supervisor.SupervisorException.Reason;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The checkpoints of a distributed supervisor's children, in the replicated scope {@code
 * supervisor.<name>.checkpoints} (child id → {@link CheckpointRecord}, ordered by generation and
 * sequence).
 *
 * <ul>
 *   <li><b>Save</b>: only the copy its placement names on this node, at its generation, may write,
 *       while this node is not fenced and (quorum strategy) holds its lease; a save of an older
 *       generation than the newest known is refused. It is acknowledged once a majority holds it
 *       (two members with a plain strategy) and, with a quorum strategy, only while the lease still
 *       holds: the others claim this node's children only after its lease must have lapsed, so an
 *       acknowledged save precedes any new copy's load.
 *   <li><b>Load</b>: a quorum read. Every acknowledged save is held by a majority, and any two
 *       majorities meet, so the latest of a majority's answers is at least the latest acknowledged
 *       save. A plain strategy asks every live member and takes what came by the deadline.
 *   <li><b>Collection</b>: when a child's placement ends for good (a terminate marker), every node
 *       that holds its checkpoint removes it; the node of the last copy has seen that copy's every
 *       save, so no save of it survives the removal.
 * </ul>
 *
 * The writes waiting for their holders are in mark order, so one pass serves all of them; a pass
 * runs on each of the scope's progress events (an acknowledgement) and every 10 ms as a fallback.
 *
 * <p>Threading: {@link #save} and {@link #load} from any thread; the rest on the core thread.
 */
final class Checkpoints implements CheckpointStore {
  private final Cluster cluster;
  private final String supervisor;
  private final Scope<String, CheckpointRecord> scope;
  private final Scope<String, Placement> placements;
  private final Fence fence;
  private final boolean quorum;
  private final Duration callTimeout;
  private final ScheduledExecutorService timer;
  private final Endpoint<Read> reads;
  private final CoreCalls calls;
  private final int maxStateBytes;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>(); // core thread
  // Deadlines and membership changes; acknowledgements arrive as the scope's progress events.
  private static final long FALLBACK_POLL_MILLIS = 10;

  private final PreviousLife previousLife;
  // id → (generation, sequence) of the checkpoint a copy here loaded, until its first save
  private final java.util.Map<String, long[]> loadedFrom =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile java.util.function.@Nullable BiConsumer<ChildRef, Checkpoint> onLost;
  private boolean polling; // core thread
  private boolean whole; // core thread: this replica holds every save a majority acknowledged
  private long wholeMark = -1; // core thread: the catch-up that would make it whole
  private long wholeAsked; // core thread: nanoTime of that catch-up
  private volatile boolean closed;

  private static final String NO_LEASE = "this node holds no lease";

  /** A save waiting for its holders. */
  private record Pending(
      long mark,
      long deadline,
      String id,
      CheckpointRecord record,
      CompletableFuture<Checkpoint> result) {}

  Checkpoints(
      Cluster cluster,
      String supervisor,
      Scope<String, Placement> placements,
      Fence fence,
      boolean quorum,
      Duration callTimeout,
      ScheduledExecutorService timer,
      boolean durable) {
    this.cluster = cluster;
    this.supervisor = supervisor;
    this.placements = placements;
    this.fence = fence;
    this.quorum = quorum;
    this.callTimeout = callTimeout;
    this.timer = timer;
    String scopeName = "supervisor." + supervisor + ".checkpoints";
    this.scope =
        durable
            ? cluster.durableScope(scopeName, CheckpointRecord.ORDER)
            : cluster.scope(scopeName, CheckpointRecord.ORDER);
    this.previousLife = new PreviousLife(cluster, scope);
    scope.subscribe(this::onCheckpointChanges);
    this.maxStateBytes = cluster.settings().maxValueBytes() / 2;
    // Saves must go on while the supervisor stops: a hand-off is saved by a stopping child.
    this.calls = new CoreCalls(cluster, supervisor, callTimeout, () -> closed);
    this.reads =
        cluster.endpoint(
            "supervisor." + supervisor + ".checkpoint",
            Read.class,
            (from, r) -> new Held(scope.getNow(r.id()), wholeNow()));
    scope.onProgress(this::poll); // a save is acknowledged the moment enough members hold it
  }

  static SupervisorException fenced(String id, long generation, Checkpoint newer) {
    return new SupervisorException(
        Reason.FENCED,
        "checkpoint of "
            + id
            + " at generation "
            + generation
            + " refused: generation "
            + newer.generation()
            + " saved one");
  }

  @Override
  public int maxStateBytes() {
    return maxStateBytes;
  }

  @Override
  public void removed(String id) {
    // Collected when the placement ends for good (see onPlacementChanges): a move removes it too.
  }

  @Override
  public CompletableFuture<Checkpoint> save(String id, long generation, byte[] state) {
    long deadline = System.nanoTime() + callTimeout.toNanos();
    return calls.compose(() -> write(id, generation, state, deadline), callTimeout.plusSeconds(1));
  }

  private CompletableFuture<Checkpoint> write(
      String id, long generation, byte[] state, long deadline) {
    String refusal = refusal(id, generation);
    if (NO_LEASE.equals(refusal) && System.nanoTime() - deadline < 0) {
      // A node that just joined gets its first lease a moment after its children start: wait.
      return CoreCalls.runOn(
          r -> {
            var unused =
                timer.schedule(() -> cluster.onCore().execute(r), 5, TimeUnit.MILLISECONDS);
          },
          () -> write(id, generation, state, deadline),
          "supervisor " + supervisor + " is stopped");
    }
    if (refusal != null) {
      throw new SupervisorException(
          Reason.FENCED,
          "checkpoint of "
              + id
              + " at generation "
              + generation
              + " on "
              + cluster.self().name()
              + " refused: "
              + refusal);
    }
    CheckpointRecord seen = scope.getNow(id);
    if (seen != null && seen.generation() > generation) {
      throw fenced(id, generation, seen.toCheckpoint(id));
    }
    long sequence = 1;
    long baseGeneration = 0; // the line this generation continues: what its node held at its first
    long baseSequence = 0; // save (a copy beside it that saved above that lost a conflict)
    if (seen != null && seen.generation() == generation) {
      sequence = seen.sequence() + 1;
      baseGeneration = seen.baseGeneration();
      baseSequence = seen.baseSequence();
    } else {
      // A new generation's first save: its line continues from what its copy loaded, or what this
      // node holds, whichever is later (a hand-over's state may reach this replica after the load).
      long[] loaded = loadedFrom.remove(id);
      if (seen != null) {
        baseGeneration = seen.generation();
        baseSequence = seen.sequence();
      }
      if (loaded != null
          && (loaded[0] > baseGeneration
              || (loaded[0] == baseGeneration && loaded[1] > baseSequence))) {
        baseGeneration = loaded[0];
        baseSequence = loaded[1];
      }
    }
    CheckpointRecord record =
        new CheckpointRecord(
            generation, sequence, cluster.self(), state, baseGeneration, baseSequence);
    var unused = scope.putNow(id, record);
    CompletableFuture<Checkpoint> result = new CompletableFuture<>();
    pending.addLast(
        new Pending(
            scope.writeMarkNow(), System.nanoTime() + callTimeout.toNanos(), id, record, result));
    poll();
    return result;
  }

  /** Core thread: why the copy (id, generation) on this node may not save now, or null. */
  private @Nullable String refusal(String id, long generation) {
    Placement p = placements.getNow(id);
    if (p == null || p.terminated()) {
      return "the child ended";
    }
    if (!p.node().equals(cluster.self()) || p.generation() != generation) {
      return "it is placed on " + p.node().name() + " at generation " + p.generation() + " now";
    }
    if (fence.fencedNow()) {
      return "this node is fenced (no quorum, or back from a lapsed lease and not caught up)";
    }
    if (quorum && !cluster.hasLease()) {
      return NO_LEASE;
    }
    return null;
  }

  private void poll() {
    int live = cluster.liveMembersNow().size();
    int needed = quorum ? cluster.majorityNow() : Math.min(2, Math.max(1, live));
    long now = System.nanoTime();
    for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (scope.holdersNow(p.mark()) >= needed) {
        it.remove();
        acknowledge(p);
      } else if (now - p.deadline() > 0) {
        it.remove();
        p.result()
            .completeExceptionally(
                new SupervisorException(
                    Reason.TIMEOUT,
                    "checkpoint of "
                        + p.id()
                        + " not held by "
                        + needed
                        + " members within "
                        + callTimeout
                        + ": it may still be kept"));
      } else {
        break; // later marks are not held either (and their deadlines are later)
      }
    }
    if (pending.isEmpty() || polling) {
      return;
    }
    polling = true;
    try {
      var unused =
          timer.schedule(
              () ->
                  cluster
                      .onCore()
                      .execute(
                          () -> {
                            polling = false;
                            poll();
                          }),
              FALLBACK_POLL_MILLIS,
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      polling = false;
      failAll();
    }
  }

  private void acknowledge(Pending p) {
    if (quorum && !cluster.hasLease()) {
      // The others may claim this node's children now: a copy there may have loaded before this.
      p.result()
          .completeExceptionally(
              new SupervisorException(
                  Reason.FENCED,
                  "checkpoint of "
                      + p.id()
                      + ": the lease lapsed before a majority held it; it may be lost"));
      return;
    }
    CheckpointRecord now = scope.getNow(p.id());
    if (now != null && now.generation() > p.record().generation()) {
      p.result()
          .completeExceptionally(fenced(p.id(), p.record().generation(), now.toCheckpoint(p.id())));
      return;
    }
    p.result().complete(p.record().toCheckpoint(p.id()));
  }

  @Override
  public CompletableFuture<@Nullable Checkpoint> load(String id) {
    long deadline = System.nanoTime() + callTimeout.toNanos();
    return calls
        .<@Nullable Checkpoint>compose(() -> readUntil(id, deadline), callTimeout.plusSeconds(1))
        .thenApply(
            c -> {
              if (c != null) {
                loadedFrom.put(id, new long[] {c.generation(), c.sequence()});
              }
              return c;
            });
  }

  /**
   * Core thread: {@link #read}, again every 20 ms while too few whole replicas answer (the replicas
   * of a cluster that just formed, or of a node that just restarted, catch up in milliseconds),
   * until {@code deadline}.
   */
  private CompletableFuture<@Nullable Checkpoint> readUntil(String id, long deadline) {
    return read(id)
        .exceptionallyCompose(
            e -> {
              Throwable cause =
                  e instanceof java.util.concurrent.CompletionException c ? c.getCause() : e;
              if (cause instanceof SupervisorException s
                  && s.reason() == Reason.NO_QUORUM
                  && System.nanoTime() - deadline < 0
                  && !closed) {
                return CoreCalls.<@Nullable Checkpoint>runOn(
                    r -> {
                      var unused =
                          timer.schedule(
                              () -> cluster.onCore().execute(r), 20, TimeUnit.MILLISECONDS);
                    },
                    () -> readUntil(id, deadline),
                    "supervisor " + supervisor + " is stopped");
              }
              return CompletableFuture.failedFuture(cause == null ? e : cause);
            });
  }

  /**
   * Core thread: whether this node's replica of the checkpoints is whole, i.e. holds every save a
   * majority acknowledged. A replica that started empty (this node's first start, a restart under
   * the same name) is not, until it caught up with enough others that every majority of the
   * expected members meets them (E − majority + 1 others, at most E − 1): a save acknowledged by a
   * majority that included this node's previous incarnation may be held by one of them only. From
   * then on it is a replica like the others for its whole life. Found by {@code
   * CheckpointProperties} (seed 3791534268424443549): a node restarted under its name counted its
   * empty replica in a read and resumed a child from an old checkpoint.
   */
  boolean wholeNow() {
    if (!previousLife.caughtUpNow()) {
      return false; // after a whole-cluster restart: not before a majority of the old one is heard
    }
    if (whole) {
      return true;
    }
    int expected = cluster.expectedMembersNow();
    int others = Math.min(expected - 1, expected - cluster.majorityNow() + 1);
    long now = System.nanoTime();
    if (wholeMark >= 0 && scope.caughtUpNow(wholeMark) >= 1 + others) {
      whole = true;
      return true;
    }
    if (others <= 0) {
      whole = true;
      return true;
    }
    if (wholeMark < 0 || now - wholeAsked > TimeUnit.SECONDS.toNanos(1)) {
      wholeMark = scope.catchUpNow(); // again each second while some member did not answer
      wholeAsked = now;
    }
    return false;
  }

  /** Core thread: the latest of the whole replicas' answers, once a majority of them answered. */
  private CompletableFuture<@Nullable Checkpoint> read(String id) {
    List<NodeId> others =
        cluster.liveMembersNow().stream().filter(n -> !n.equals(cluster.self())).toList();
    int needed = quorum ? cluster.majorityNow() : 1 + others.size();
    if (1 + others.size() < needed) {
      // A failed future, not a throw: the caller reads again until its deadline (a cluster that
      // is still forming); a throw here crashed the child at once.
      return CompletableFuture.failedFuture(
          new SupervisorException(
              Reason.NO_QUORUM,
              cluster.self().name()
                  + " sees "
                  + (1 + others.size())
                  + " of the "
                  + needed
                  + " members a checkpoint read needs"));
    }
    QuorumRead read = new QuorumRead(id, needed, 1 + others.size(), wholeNow(), scope.getNow(id));
    for (NodeId n : others) {
      var unused =
          reads
              .request(n, new Read(id), Held.class, callTimeout)
              .whenComplete(
                  (held, e) ->
                      cluster
                          .onCore()
                          .execute(() -> read.answer(e == null && held != null ? held : null)));
    }
    read.check();
    return read.result;
  }

  /** One quorum read: the answers so far (core thread). */
  private final class QuorumRead {
    final String id;
    final int needed;
    final int asked; // this node included
    final CompletableFuture<@Nullable Checkpoint> result = new CompletableFuture<>();
    @Nullable CheckpointRecord latest;
    int answered; // whole replicas that answered (this node included when whole)
    int failed; // no answer, or a replica that is not whole yet

    QuorumRead(String id, int needed, int asked, boolean whole, @Nullable CheckpointRecord mine) {
      this.id = id;
      this.needed = needed;
      this.asked = asked;
      this.latest = mine;
      if (whole || !quorum) {
        answered = 1;
      } else {
        failed = 1;
      }
    }

    void answer(@Nullable Held held) {
      if (held == null || (quorum && !held.whole())) {
        failed++;
      } else {
        answered++;
      }
      if (held != null) {
        latest = CheckpointRecord.later(latest, held.record()); // never lower: ordered
      }
      check();
    }

    void check() {
      if (result.isDone()) {
        return;
      }
      CheckpointRecord r = latest;
      if (answered >= needed || (!quorum && answered + failed >= asked)) {
        result.complete(r == null ? null : r.toCheckpoint(id));
      } else if (quorum && asked - failed < needed) {
        result.completeExceptionally(
            new SupervisorException(
                Reason.NO_QUORUM,
                "checkpoint of "
                    + id
                    + ": "
                    + failed
                    + " of "
                    + asked
                    + " members did not answer or are not whole yet (caught up after a"
                    + " restart), "
                    + needed
                    + " must"));
      }
    }
  }

  /**
   * Hears each conflict a copy on this node lost: its last checkpoint (the loser's state) replaced
   * by a higher generation's that never continued from it (the two ran at once, a partition), with
   * the winning copy. Only the node that saved the loser's record hears it, once. Core thread.
   */
  void onConflictLost(java.util.function.BiConsumer<ChildRef, Checkpoint> listener) {
    this.onLost = listener;
  }

  private void onCheckpointChanges(List<Change<String, CheckpointRecord>> changes) {
    java.util.function.BiConsumer<ChildRef, Checkpoint> l = onLost;
    if (l == null) {
      return;
    }
    for (Change<String, CheckpointRecord> c : changes) {
      if (c instanceof Change.Updated<String, CheckpointRecord> u
          && u.oldValue().by().name().equals(cluster.self().name())
          && u.newValue().supersedesUnseen(u.oldValue())) {
        CheckpointRecord won = u.newValue();
        l.accept(
            new ChildRef(u.key(), won.by(), won.generation()), u.oldValue().toCheckpoint(u.key()));
      }
    }
  }

  /**
   * Core thread: the placements changed; every child whose placement ended for good has its
   * checkpoint removed here.
   */
  void onPlacementChanges(List<Change<String, Placement>> changes) {
    for (Change<String, Placement> c : changes) {
      boolean ended =
          switch (c) {
            case Change.Removed<String, Placement> r -> true;
            case Change.Added<String, Placement> a -> a.newValue().terminated();
            case Change.Updated<String, Placement> u -> u.newValue().terminated();
          };
      if (ended && scope.getNow(c.key()) != null) {
        var unused = scope.removeNow(c.key());
      }
    }
  }

  /** The supervisor shut down: later calls fail as stopped, waiting saves too. */
  void close() {
    closed = true;
    reads.close();
    try {
      cluster.onCore().execute(this::failAll);
    } catch (RejectedExecutionException e) {
      // the cluster node is closed: its core runs no more, and the calls fail as stopped
    }
  }

  private void failAll() {
    for (Pending p : pending) {
      p.result()
          .completeExceptionally(
              new SupervisorException(Reason.STOPPED, "supervisor " + supervisor + " is stopped"));
    }
    pending.clear();
  }
}
