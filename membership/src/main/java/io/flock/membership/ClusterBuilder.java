package io.flock.membership;

import static java.util.Objects.requireNonNull;

import io.flock.crdt.Replicator;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.transport.TransportSeam;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Builds and starts a {@link Cluster} node. Every setter checks its argument at once and names it
 * when it is wrong; {@link #start} checks the settings against each other, freezes them into a
 * {@link ClusterSettings} and leaves the builder as it was. Not thread-safe.
 */
public final class ClusterBuilder {
  static {
    TransportSeam.install(ClusterBuilder::transportDecorator);
  }

  private static final AtomicLong LAST_INCARNATION = new AtomicLong();

  private final String clusterName;
  private final String nodeName;
  private byte[] secret = new byte[0];
  private String bindHost = "127.0.0.1";
  private int bindPort;
  private String advertisedHost = "127.0.0.1";
  private SeedResolver seeds = SeedResolver.of(List.of());
  private long incarnation = -1;
  private Duration heartbeatInterval = Duration.ofMillis(200);
  private Duration unreachableAfter = Duration.ofSeconds(1);
  private Duration downAfter = Duration.ofMillis(1_800);
  private @Nullable Duration removeAfter;
  private @Nullable Duration leaseDuration;
  private double clockDrift = 0.01;
  private Duration gossipInterval = Duration.ofMillis(200);
  private Duration joinRetry = Duration.ofMillis(500);
  private int quorumSize;
  private int ioThreads = 1;
  private int maxValueBytes = 1 << 20;
  private Replicator.Settings replication = Replicator.Settings.defaults();
  private @Nullable TlsSettings tls;
  private final List<WireTypes> wireTypes = new ArrayList<>();
  private final List<ClusterListener> listeners = new ArrayList<>();
  private UnaryOperator<Transport> transportDecorator = UnaryOperator.identity();
  private io.flock.membership.storage.@Nullable Storage storage;

  ClusterBuilder(String clusterName, String nodeName) {
    this.clusterName = name(clusterName, "clusterName");
    this.nodeName = name(nodeName, "nodeName");
    if (nodeName.equals(Transport.ANY)) {
      throw new IllegalArgumentException("nodeName '*' is reserved");
    }
  }

  private static String name(String value, String what) {
    requireNonNull(value, what);
    if (value.isBlank() || value.length() > 255) {
      throw new IllegalArgumentException(what + " must have 1 to 255 characters, not all blank");
    }
    return value;
  }

  private static Duration positive(Duration d, String what) {
    requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + d);
    }
    return d;
  }

  /**
   * A builder configured from named settings, so a service configures its node without code
   * (Kubernetes: from the environment, {@code ClusterBuilder.fromSettings("FLOCK_",
   * System.getenv())}). The names after {@code prefix}, with their defaults, are in {@code
   * docs/guide.md}: {@code CLUSTER}, {@code NODE} and {@code SECRET} are required; {@code BIND}
   * ({@code host:port}), {@code ADVERTISE}, {@code SEEDS} (comma-separated {@code host:port}) or
   * {@code SEEDS_DNS} ({@code name:port}, a headless service), {@code INCARNATION}, {@code
   * HEARTBEAT}, {@code UNREACHABLE}, {@code DOWN}, {@code LEASE}, {@code REMOVE_AFTER}, {@code
   * GOSSIP_INTERVAL}, {@code JOIN_RETRY} (durations such as {@code 200ms}, {@code 1s}, {@code
   * PT1S}), {@code QUORUM_SIZE}, {@code MAX_VALUE_BYTES}. Entries without the prefix are ignored;
   * the builder's other setters (wire types, TLS, listeners) still apply after.
   *
   * @throws IllegalArgumentException naming the setting: an unknown name under the prefix, a
   *     missing required one, or a value that does not parse or is out of range
   */
  public static ClusterBuilder fromSettings(String prefix, Map<String, String> settings) {
    requireNonNull(prefix, "prefix");
    requireNonNull(settings, "settings");
    return SettingsMap.builder(prefix, settings);
  }

  /** The shared secret of the cluster (required; at least 16 bytes). */
  public ClusterBuilder secret(byte[] secret) {
    requireNonNull(secret, "secret");
    if (secret.length < 16) {
      throw new IllegalArgumentException(
          "secret must have at least 16 bytes, has " + secret.length);
    }
    this.secret = secret.clone();
    return this;
  }

  /** The address to listen on (default 127.0.0.1, port 0 = ephemeral). */
  public ClusterBuilder bind(String host, int port) {
    this.bindHost = name(host, "host");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
    }
    this.bindPort = port;
    return this;
  }

  /** The host other nodes dial (default 127.0.0.1). */
  public ClusterBuilder advertise(String host) {
    this.advertisedHost = name(host, "host");
    return this;
  }

  /**
   * Seeds as {@code host:port} strings.
   *
   * @throws IllegalArgumentException naming the malformed entry
   */
  public ClusterBuilder seeds(List<String> hostPorts) {
    this.seeds = SeedResolver.of(hostPorts);
    return this;
  }

  /** Seeds from a resolver (for instance {@link SeedResolver#dns}). */
  public ClusterBuilder seeds(SeedResolver resolver) {
    this.seeds = requireNonNull(resolver, "resolver");
    return this;
  }

  /**
   * This start's incarnation; it must grow across restarts of the name. Default: the start time in
   * milliseconds, and never less than one more than the last default this JVM handed out, so it
   * never goes backwards when the wall clock steps back while the JVM runs.
   */
  public ClusterBuilder incarnation(long incarnation) {
    if (incarnation < 0) {
      throw new IllegalArgumentException("incarnation must be >= 0, was " + incarnation);
    }
    this.incarnation = incarnation;
    return this;
  }

  /**
   * Failure detection timings (defaults 200 ms, 1 s, 1.8 s).
   *
   * @throws IllegalArgumentException unless {@code 0 < heartbeat < unreachable < down}
   */
  public ClusterBuilder failureDetection(Duration heartbeat, Duration unreachable, Duration down) {
    positive(heartbeat, "heartbeat");
    positive(unreachable, "unreachable");
    positive(down, "down");
    if (heartbeat.compareTo(unreachable) >= 0) {
      throw new IllegalArgumentException(
          "heartbeat (" + heartbeat + ") must be shorter than unreachable (" + unreachable + ")");
    }
    if (unreachable.compareTo(down) >= 0) {
      throw new IllegalArgumentException(
          "unreachable (" + unreachable + ") must be shorter than down (" + down + ")");
    }
    this.heartbeatInterval = heartbeat;
    this.unreachableAfter = unreachable;
    this.downAfter = down;
    return this;
  }

  /**
   * How long a member must have been down (in this node's view) before this node, while it has
   * quorum, removes it from the expected membership (default 30 s, or twice down if longer), so
   * crashed members with unique names stop counting for quorum. A removed incarnation never comes
   * back: if it is alive after all, it is told so, stops its work and rejoins as a new incarnation
   * ({@link ClusterEvent.Reincarnated}). {@link Cluster#remove} removes one at once.
   *
   * @throws IllegalArgumentException if not positive
   */
  public ClusterBuilder removeAfter(Duration after) {
    this.removeAfter = positive(after, "after");
    return this;
  }

  /**
   * The lease: a node may run work only while a quorum acknowledged one of its heartbeats within
   * {@code duration} (on its own monotonic clock); {@code drift} bounds how much faster or slower
   * any node's clock runs than another's. Safety rule, checked at {@link #start}:
   *
   * <pre>  duration · (1 + drift) / (1 − drift) + heartbeat ≤ down</pre>
   *
   * so the lease of a node cut off lapses before a quorum's evidence (or anyone's down verdict)
   * says so. Default: drift 0.01 and the largest duration within 75% of that bound (1,176 ms for
   * the default timings).
   *
   * @throws IllegalArgumentException if {@code duration} is not positive or {@code drift} is not in
   *     [0, 0.5)
   */
  public ClusterBuilder lease(Duration duration, double drift) {
    positive(duration, "duration");
    if (!(drift >= 0 && drift < 0.5)) {
      throw new IllegalArgumentException("drift must be in [0, 0.5), was " + drift);
    }
    this.leaseDuration = duration;
    this.clockDrift = drift;
    return this;
  }

  /**
   * Where this node keeps its durable scopes ({@link Cluster#durableScope}) so that they survive a
   * restart of the whole cluster, for example {@code Storage.files(Path.of("/var/lib/flock"))}
   * (default: none; durable scopes are then refused). The node owns it from {@link #start}: closing
   * the node closes it. One storage (one directory) per node.
   *
   * @throws NullPointerException if {@code storage} is null
   */
  public ClusterBuilder storage(io.flock.membership.storage.Storage storage) {
    this.storage = requireNonNull(storage, "storage");
    return this;
  }

  /** The gossip (repair) round interval (default 200 ms). */
  public ClusterBuilder gossipInterval(Duration interval) {
    this.gossipInterval = positive(interval, "interval");
    return this;
  }

  /** How often a node that has not joined asks its seeds again (default 500 ms). */
  public ClusterBuilder joinRetry(Duration interval) {
    this.joinRetry = positive(interval, "interval");
    return this;
  }

  /** The smallest cluster size quorum is counted against (default 0: the member count). */
  public ClusterBuilder quorumSize(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("quorumSize must be >= 0, was " + size);
    }
    this.quorumSize = size;
    return this;
  }

  /** Replication tuning. */
  public ClusterBuilder replication(Replicator.Settings replication) {
    this.replication = requireNonNull(replication, "replication");
    return this;
  }

  /** Mutual TLS between nodes. */
  public ClusterBuilder tls(TlsSettings tls) {
    this.tls = requireNonNull(tls, "tls");
    return this;
  }

  /**
   * Adds a set of types this node may send (scope keys and values, endpoint messages). Every node
   * must add the same sets; a Flock module that needs its own says so (for instance {@code
   * DistributedSupervisor.wireTypes()}).
   */
  public ClusterBuilder wireTypes(WireTypes types) {
    requireNonNull(types, "types");
    for (WireTypes w : wireTypes) {
      if (w.module().equals(types.module())) {
        throw new IllegalArgumentException("wireTypes '" + types.module() + "' added twice");
      }
    }
    wireTypes.add(types);
    return this;
  }

  /** Adds a listener of cluster events. */
  public ClusterBuilder listener(ClusterListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
    return this;
  }

  /** Netty I/O threads (default 1). */
  public ClusterBuilder ioThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("ioThreads must be >= 1, was " + threads);
    }
    this.ioThreads = threads;
    return this;
  }

  /**
   * The largest encoded scope value, endpoint message or reply (default 1 MiB, at most a sixteenth
   * of the 16 MiB frame so that a burst of them still fits in bounded replication messages): larger
   * ones are refused with an {@link IllegalArgumentException} where they are written or sent,
   * before anything is written.
   *
   * @throws IllegalArgumentException if {@code bytes} is below 1 KiB or above 1 MiB
   */
  public ClusterBuilder maxValueBytes(int bytes) {
    if (bytes < 1024 || bytes > 1 << 20) {
      throw new IllegalArgumentException("maxValueBytes must be 1 KiB to 1 MiB, was " + bytes);
    }
    this.maxValueBytes = bytes;
    return this;
  }

  /**
   * Test seam: wraps the node's transport (the testkit's fault injection; {@link TransportSeam}).
   */
  ClusterBuilder transportDecorator(UnaryOperator<Transport> decorator) {
    this.transportDecorator = requireNonNull(decorator, "decorator");
    return this;
  }

  /** The settings as they stand, checked against each other. */
  ClusterSettings settings() {
    if (secret.length == 0) {
      throw new IllegalStateException("secret is required");
    }
    if (gossipInterval.compareTo(downAfter) >= 0) {
      throw new IllegalStateException(
          "gossipInterval (" + gossipInterval + ") must be shorter than down (" + downAfter + ")");
    }
    Duration remove = removeAfter != null ? removeAfter : defaultRemoveAfter();
    if (remove.compareTo(downAfter) <= 0) {
      throw new IllegalStateException(
          "removeAfter (" + remove + ") must be longer than down (" + downAfter + ")");
    }
    Duration lease = leaseDuration != null ? leaseDuration : defaultLease();
    Duration lapse = ClusterSettings.lapseAfter(lease, clockDrift);
    if (lapse.plus(heartbeatInterval).compareTo(downAfter) > 0) {
      throw new IllegalStateException(
          "lease "
              + lease
              + " breaks the safety rule lease·(1+drift)/(1−drift) + heartbeat ≤ down: "
              + lapse
              + " + "
              + heartbeatInterval
              + " > "
              + downAfter);
    }
    return new ClusterSettings(
        clusterName,
        nodeName,
        bindHost,
        bindPort,
        advertisedHost,
        seeds,
        incarnation >= 0 ? incarnation : nextIncarnation(System.currentTimeMillis()),
        heartbeatInterval,
        unreachableAfter,
        downAfter,
        remove,
        lease,
        clockDrift,
        gossipInterval,
        joinRetry,
        quorumSize,
        ioThreads,
        maxValueBytes,
        replication,
        tls,
        wireTypes,
        listeners,
        storage);
  }

  private Duration defaultRemoveAfter() {
    Duration twiceDown = downAfter.multipliedBy(2);
    return twiceDown.compareTo(Duration.ofSeconds(30)) > 0 ? twiceDown : Duration.ofSeconds(30);
  }

  private Duration defaultLease() {
    double room = (downAfter.toNanos() - heartbeatInterval.toNanos()) * 0.75;
    return Duration.ofMillis((long) (room * (1 - clockDrift) / (1 + clockDrift) / 1e6));
  }

  /** The default incarnation at wall-clock {@code nowMillis}: never below the last one + 1. */
  static long nextIncarnation(long nowMillis) {
    return LAST_INCARNATION.updateAndGet(last -> Math.max(nowMillis, last + 1));
  }

  /**
   * Binds, starts and begins joining.
   *
   * @throws IllegalStateException if no secret was set or the settings contradict each other
   * @throws IllegalArgumentException if the wire types break the id table
   * @throws FlockException if the node cannot start (the address is in use); no thread is left
   */
  public Cluster start() {
    return Cluster.start(settings(), secret.clone(), transportDecorator);
  }
}
