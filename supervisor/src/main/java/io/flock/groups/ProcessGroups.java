package io.flock.groups;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.Change;
import io.flock.membership.Cluster;
import io.flock.membership.NodeId;
import io.flock.membership.Scope;
import io.flock.membership.WireTypes;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.DistributedSupervisor;
import io.flock.supervisor.DistributionStrategy;
import io.flock.supervisor.MessageException;
import io.flock.supervisor.SupervisorEvent;
import io.flock.supervisor.SupervisorListener;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Process groups with OTP {@code pg} semantics, cluster-wide: independent scopes of named groups
 * whose members are a distributed supervisor's children, for pub/sub and for finding "all workers
 * of a kind".
 *
 * <pre>{@code
 * ProcessGroups chat = ProcessGroups.start("chat", cluster, supervisor);  // cluster built with
 * chat.join("room-1", ref).join();                                        //  .wireTypes(ProcessGroups.wireTypes())
 * List<ChildRef> members = chat.members("room-1");                       // a local read
 * chat.broadcast("room-1", new Post("hi")).join();                        // one Delivery each
 * }</pre>
 *
 * <p><b>Semantics</b> (pg's unless stated). Only a node changes its own members: {@link #join} and
 * {@link #leave} take children running on this node. A child may join a group several times and is
 * a member as many times; leaving a group it is not in is harmless (it counts as not left). A
 * member leaves by itself when its run ends (it returned, crashed, was stopped or moved away: a
 * restarted or moved child joins again, like a new pid), and when its node is known gone (down,
 * left, removed, replaced by a new incarnation); the members of a node that is merely unreachable
 * stay listed, and nothing needs to join again after a heal. A group with no members does not
 * exist. Each scope is one replicated scope ({@code groups.<scope>}) of one entry per (group, node,
 * child), written only by that node: no conflicts.
 *
 * <p>Threading: every method from any thread; reads are local and never wait for the core; futures
 * complete on the core thread; monitors' listeners run on the core thread and must be quick. Nulls
 * are refused ({@link NullPointerException} naming the parameter).
 */
public final class ProcessGroups implements AutoCloseable {
  private final String name;
  private final Cluster cluster;
  private final DistributedSupervisor supervisor;
  private final Scope<String, Membership> scope;
  private final GroupsMirror mirror;
  private final GroupMonitors monitors;
  private final Map<String, Set<String>> localKeysById = new HashMap<>(); // core
  private final ScheduledExecutorService timer;
  private final SupervisorListener runEnded = this::onSupervisorEvent;
  private volatile boolean closed;

  private ProcessGroups(String name, Cluster cluster, DistributedSupervisor supervisor) {
    this.name = name;
    this.cluster = cluster;
    this.supervisor = supervisor;
    this.scope = cluster.scope("groups." + name);
    this.mirror = new GroupsMirror(cluster::self);
    this.monitors = new GroupMonitors(name);
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread th = new Thread(r, "flock-groups-" + name + "-" + cluster.self().name());
              th.setDaemon(true);
              return th;
            });
    this.timer = t;
  }

  /**
   * The process groups' wire types: pass them to {@code ClusterBuilder.wireTypes} on every node.
   */
  public static WireTypes wireTypes() {
    return GroupsWire.TYPES;
  }

  /**
   * Starts this node's part of the scope {@code name}, for the children of {@code supervisor}.
   *
   * @throws IllegalArgumentException if {@code name} is empty, or the cluster lacks {@link
   *     #wireTypes()}
   */
  public static ProcessGroups start(
      String name, Cluster cluster, DistributedSupervisor supervisor) {
    requireNonNull(name, "name");
    requireNonNull(cluster, "cluster");
    requireNonNull(supervisor, "supervisor");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name must not be empty");
    }
    cluster.settings().requireWireTypes(GroupsWire.MODULE, "ProcessGroups.wireTypes()");
    return new ProcessGroups(name, cluster, supervisor).begin();
  }

  private ProcessGroups begin() {
    onCore(
            () -> {
              List<Change<String, Membership>> existing = new ArrayList<>();
              scope.forEachNow((k, m) -> existing.add(new Change.Added<>(k, m)));
              monitors.dispatch(mirror.apply(existing));
              scope.subscribe(changes -> monitors.dispatch(mirror.apply(changes)));
              return null;
            })
        .join();
    supervisor.subscribe(runEnded);
    var unused =
        timer.scheduleWithFixedDelay(
            () -> {
              try {
                cluster.onCore().execute(this::tick);
              } catch (RejectedExecutionException clusterClosed) {
                throw clusterClosed; // ends the schedule
              }
            },
            200,
            200,
            TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Adds each of {@code refs} to {@code group} once more.
   *
   * @return completes once this node's view shows the joins (the others see them as the scope
   *     replicates)
   * @throws IllegalArgumentException if {@code group} is empty or holds a NUL character, or a ref
   *     is not a child running on this node now (pg: only the local node changes its members)
   */
  public CompletableFuture<Void> join(String group, ChildRef... refs) {
    checkGroup(group);
    List<ChildRef> members = local(refs);
    return onCore(
        () -> {
          for (ChildRef ref : members) {
            String key = Membership.key(group, ref);
            Membership was = scope.getNow(key);
            int count = was != null && was.ref().equals(ref) ? was.count() + 1 : 1;
            var unused = scope.putNow(key, new Membership(group, ref, count));
            localKeysById.computeIfAbsent(ref.id(), id -> new HashSet<>()).add(key);
          }
          return null;
        });
  }

  /**
   * Removes each of {@code refs} from {@code group} once.
   *
   * @return how many of them were members (and left once); the others change nothing
   * @throws IllegalArgumentException if {@code group} is empty or holds a NUL character
   */
  public CompletableFuture<Integer> leave(String group, ChildRef... refs) {
    checkGroup(group);
    requireNonNull(refs, "refs");
    List<ChildRef> members = List.of(refs);
    return onCore(
        () -> {
          int left = 0;
          for (ChildRef ref : members) {
            String key = Membership.key(group, ref);
            Membership was = scope.getNow(key);
            if (was == null || !was.ref().equals(ref) || !ref.node().equals(cluster.self())) {
              continue;
            }
            left++;
            if (was.count() > 1) {
              var unused = scope.putNow(key, new Membership(group, ref, was.count() - 1));
            } else {
              var unused = scope.removeNow(key);
              forgetLocal(ref.id(), key);
            }
          }
          return left;
        });
  }

  /**
   * Every member of {@code group} this node sees, each as many times as it joined: an immutable
   * list, read locally. Reads of a group that did not change since share one list (no copy); the
   * first read after a change builds it, O(members).
   */
  public List<ChildRef> members(String group) {
    return mirror.members(requireNonNull(group, "group"));
  }

  /** This node's members of {@code group}: an immutable list, as {@link #members}. */
  public List<ChildRef> localMembers(String group) {
    return mirror.localMembers(requireNonNull(group, "group"));
  }

  /** The groups with at least one member. */
  public Set<String> whichGroups() {
    return mirror.groups();
  }

  /** The groups with at least one member on this node. */
  public Set<String> whichLocalGroups() {
    return mirror.localGroups();
  }

  /**
   * Monitors {@code group}: the snapshot of its members now, then every join and leave to {@code
   * listener} (core thread, quick), with no gap and no duplicate between the two.
   */
  public CompletableFuture<GroupMonitor> monitor(String group, Consumer<GroupEvent> listener) {
    checkGroup(group);
    requireNonNull(listener, "listener");
    return onCore(
        () -> {
          List<ChildRef> now = mirror.members(group);
          monitors.add(group, listener);
          return new GroupMonitor(
              now.isEmpty() ? Map.of() : Map.of(group, now),
              () -> monitors.remove(group, listener));
        });
  }

  /** Monitors the whole scope: every group's members now, then every join and leave. */
  public CompletableFuture<GroupMonitor> monitorScope(Consumer<GroupEvent> listener) {
    requireNonNull(listener, "listener");
    return onCore(
        () -> {
          Map<String, List<ChildRef>> now = mirror.all();
          monitors.addScope(listener);
          return new GroupMonitor(now, () -> monitors.removeScope(listener));
        });
  }

  /**
   * Tells {@code message} to every member of {@code group} (a member that joined twice gets it
   * twice, as in pg) through the supervisor's {@code Messenger}.
   *
   * @return one {@link Delivery} per member, once every tell ended
   * @throws IllegalArgumentException if {@code message} cannot be sent (an unregistered type, or
   *     too large)
   */
  public CompletableFuture<List<Delivery>> broadcast(String group, Object message) {
    requireNonNull(group, "group");
    requireNonNull(message, "message");
    var unused = cluster.encodedSize(message); // throws for what cannot travel
    List<ChildRef> to = mirror.members(group);
    List<CompletableFuture<Delivery>> each = new ArrayList<>(to.size());
    for (ChildRef ref : to) {
      each.add(
          supervisor
              .messenger()
              .tell(ref, message)
              .handle((v, e) -> new Delivery(ref, e == null ? null : outcome(e))));
    }
    return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              List<Delivery> out = new ArrayList<>(each.size());
              each.forEach(f -> out.add(f.join()));
              return out;
            });
  }

  /**
   * Stops this node's part of the scope: its members leave, monitors hear nothing more, calls fail.
   * Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    supervisor.unsubscribe(runEnded);
    timer.shutdownNow();
    monitors.clear();
    try {
      cluster
          .onCore()
          .execute(
              () -> {
                for (Set<String> keys : localKeysById.values()) {
                  keys.forEach(k -> scope.removeNow(k));
                }
                localKeysById.clear();
              });
    } catch (RejectedExecutionException clusterClosed) {
      // the node is gone: the others drop its members
    }
  }

  // ---- inside ----

  /** For tests: the memberships this node's view and its replica hold (0 when nothing is kept). */
  int entriesNow() {
    return mirror.size() + onCore(scope::sizeNow).join();
  }

  /**
   * Core: hides the members of nodes gone for good, and removes the entries this node cleans. Not
   * of a node merely declared down without quorum: this node may be the cut-off one, and hiding (or
   * removing) the majority's members would outlive the heal.
   */
  private void tick() {
    if (closed) {
      return;
    }
    for (NodeId node : mirror.nodes()) {
      if (!node.equals(cluster.self()) && cluster.isGoneForGoodNow(node)) {
        monitors.dispatch(mirror.hide(node));
      }
    }
    Map<NodeId, Set<String>> hidden = mirror.hiddenKeys();
    if (hidden.isEmpty()) {
      return;
    }
    List<NodeId> live = cluster.liveMembersNow();
    List<String> mine = new ArrayList<>();
    hidden
        .values()
        .forEach(
            keys -> {
              for (String key : keys) {
                Optional<NodeId> cleaner = DistributionStrategy.Rendezvous.best(key, live);
                if (cleaner.isPresent() && cleaner.get().equals(cluster.self())) {
                  mine.add(key);
                }
              }
            });
    for (String key : mine) {
      var unused = scope.removeIfNow(key, m -> cluster.isGoneForGoodNow(m.ref().node()));
    }
  }

  /** A child's run on this node ended: its memberships go (a restarted run joins again). */
  private void onSupervisorEvent(SupervisorEvent event) {
    String id =
        switch (event) {
          case SupervisorEvent.Exited e -> e.id();
          case SupervisorEvent.Stopped s -> s.id();
          case SupervisorEvent.Abandoned a -> a.id();
          default -> null;
        };
    if (id == null || closed) {
      return;
    }
    try {
      cluster.onCore().execute(() -> leaveAll(id));
    } catch (RejectedExecutionException clusterClosed) {
      // the node is gone: the others drop its members
    }
  }

  private void leaveAll(String id) {
    Set<String> keys = localKeysById.remove(id);
    if (keys == null) {
      return;
    }
    for (String key : keys) {
      Membership m = scope.getNow(key);
      if (m != null && m.ref().id().equals(id) && m.ref().node().equals(cluster.self())) {
        var unused = scope.removeNow(key);
      }
    }
  }

  private void forgetLocal(String id, String key) {
    Set<String> keys = localKeysById.get(id);
    if (keys != null && keys.remove(key) && keys.isEmpty()) {
      localKeysById.remove(id);
    }
  }

  private List<ChildRef> local(ChildRef[] refs) {
    requireNonNull(refs, "refs");
    List<ChildRef> out = new ArrayList<>(refs.length);
    for (ChildRef ref : refs) {
      requireNonNull(ref, "refs");
      if (!supervisor.runsHere(ref)) {
        throw new IllegalArgumentException(
            "refs: " + ref + " is not a child running on this node now (only local children join)");
      }
      out.add(ref);
    }
    return out;
  }

  private static void checkGroup(String group) {
    requireNonNull(group, "group");
    if (group.isEmpty() || group.indexOf('\u0000') >= 0) {
      throw new IllegalArgumentException("group must be non-empty and hold no NUL: " + group);
    }
  }

  private static MessageException.Outcome outcome(Throwable e) {
    Throwable cause = e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
    return cause instanceof MessageException m ? m.outcome() : MessageException.Outcome.UNREACHABLE;
  }

  private <T> CompletableFuture<T> onCore(Supplier<T> work) {
    CompletableFuture<T> out = new CompletableFuture<>();
    if (closed) {
      out.completeExceptionally(new IllegalStateException("process groups " + name + " closed"));
      return out;
    }
    try {
      cluster
          .onCore()
          .execute(
              () -> {
                try {
                  out.complete(work.get());
                } catch (RuntimeException e) {
                  out.completeExceptionally(e);
                }
              });
    } catch (RejectedExecutionException clusterClosed) {
      out.completeExceptionally(
          new IllegalStateException("process groups " + name + ": the cluster node closed"));
    }
    return out;
  }
}
