package io.flock.membership.internal.join;

import io.flock.membership.NodeId;
import io.flock.membership.SeedResolver;
import io.flock.membership.internal.transport.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Joining through seeds, and forming a new cluster only by a rule two nodes cannot both satisfy at
 * once (after Pekko Cluster Bootstrap):
 *
 * <ul>
 *   <li>A fixed seed list that names no node but this one: form a cluster of one at once.
 *   <li>Otherwise every attempt re-reads the seeds and asks each one that is not this node. A seed
 *       that belongs to a cluster answers {@code JoinAccepted} (the caller becomes UP); one that
 *       does not answers "not joined yet" ({@link #notJoined}).
 *   <li>This node forms a new cluster only while it finds its own address among the seeds and its
 *       advertised address is the lowest of itself and every node that answered "not joined yet"
 *       within the margin, continuously for the margin (three join attempts). Two nodes that hear
 *       each other cannot both be lowest; an empty or unresolvable seed list never forms anything.
 *       A node that knows it is not among its own seeds says so in its answer ({@code mayForm}
 *       false): it never forms, so its address does not count (a lower-addressed node that only
 *       asks the seeds kept every seed waiting for it, and nothing ever formed). Until its first
 *       attempt a node says it may form: that can only delay a formation, never make two.
 *   <li>With a dynamic list (DNS, a custom resolver: what runs now, as with Pekko Cluster
 *       Bootstrap's contact points) every other seed must also have answered "not joined yet"
 *       within the margin: a seed that does not answer may be a member whose answer is late, and a
 *       node that formed beside it was an island ({@code DnsSeedsIT}: a pod scaled into a running
 *       cluster formed its own). With a fixed list, a node listed among its seeds that hears nobody
 *       still forms, so a cluster can start while some of its seeds are not up yet.
 * </ul>
 *
 * <p>Seeds resolve off the core thread: a DNS name through the transport's asynchronous resolver, a
 * custom resolver on a virtual thread. Core thread only, except {@link #resolve}.
 */
public final class Joiner {
  /** What an attempt decided. */
  public enum Decision {
    /** Keep asking. */
    WAIT,
    /** Form a new cluster: this node is the one that may. */
    FORM
  }

  private static final Comparator<NodeId> ORDER =
      Comparator.comparing(NodeId::host).thenComparingInt(NodeId::port);

  private final NodeId self;
  private final String bindHost;
  private final SeedResolver seeds;
  private final long margin;
  private final Map<String, NodeId> notJoined = new HashMap<>();
  private final Map<String, NodeId> mayForm = new HashMap<>(); // of notJoined: those that may form
  private final Map<String, Long> notJoinedAt = new HashMap<>();
  private long lowestSince;
  private @Nullable Boolean listed; // whether the last attempt found this node among its seeds
  private List<InetSocketAddress> lastResolved = List.of();
  private int attempts;

  /** Joins {@code self} (bound on {@code bindHost}) through {@code seeds}. */
  public Joiner(NodeId self, String bindHost, SeedResolver seeds, Duration joinRetry) {
    this.self = self;
    this.bindHost = bindHost;
    this.seeds = seeds;
    this.margin = 3 * joinRetry.toNanos();
  }

  /** The seeds now, resolved off the calling thread. */
  public CompletableFuture<List<InetSocketAddress>> resolve(Transport transport) {
    if (seeds instanceof StaticSeeds s) {
      return CompletableFuture.completedFuture(s.seeds());
    }
    if (seeds instanceof DnsSeeds d) {
      return transport.resolveAll(d.name(), d.port());
    }
    CompletableFuture<List<InetSocketAddress>> out = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("flock-seeds-" + self.name())
        .start(
            () -> {
              try {
                out.complete(List.copyOf(seeds.resolve()));
              } catch (Exception | LinkageError e) {
                out.completeExceptionally(e);
              }
            });
    return out;
  }

  /**
   * One attempt with the seeds as resolved: asks every seed that is not this node, then decides.
   */
  public Decision attempt(
      List<InetSocketAddress> resolved, Transport transport, Object request, long now) {
    attempts++;
    lastResolved = resolved;
    List<InetSocketAddress> others = new ArrayList<>();
    boolean listed = false;
    for (InetSocketAddress seed : resolved) {
      if (isSelf(seed)) {
        listed = true;
      } else {
        others.add(seed);
      }
    }
    this.listed = listed;
    for (InetSocketAddress seed : others) {
      boolean unused = transport.send(Transport.seed(dialHost(seed), seed.getPort()), request);
    }
    if (seeds instanceof StaticSeeds && others.isEmpty()) {
      return Decision.FORM; // a cluster of one, as configured
    }
    notJoinedAt.values().removeIf(at -> now - at > margin);
    notJoined.keySet().retainAll(notJoinedAt.keySet());
    mayForm.keySet().retainAll(notJoinedAt.keySet());
    // A dynamic list (DNS, discovery) names what runs now: every other seed must have answered
    // "not joined" within the margin. One that does not answer may be a member whose answer has
    // not come yet (a pod just attached to its network), and forming beside it made an island.
    // Only answers of nodes that may form count as seeds heard: a node that is no seed of its own
    // (it only asks) would otherwise stand in for a seed that never answered.
    boolean heardAll = seeds instanceof StaticSeeds || mayForm.size() >= others.size();
    boolean lowest =
        listed
            && heardAll
            && mayForm.values().stream().allMatch(other -> ORDER.compare(self, other) < 0);
    if (!lowest) {
      lowestSince = 0;
      return Decision.WAIT;
    }
    if (lowestSince == 0) {
      lowestSince = now;
    }
    return now - lowestSince >= margin ? Decision.FORM : Decision.WAIT;
  }

  /**
   * This node joins again as a new incarnation: what it saw while it first joined is forgotten, so
   * it forms a cluster only if the rule holds afresh for the whole margin (before, a node that had
   * once been lowest formed at its first attempt, beside the cluster that had just told it down).
   */
  public void rejoin() {
    lowestSince = 0;
    notJoined.clear();
    mayForm.clear();
    notJoinedAt.clear();
  }

  /**
   * {@code from} answered that it belongs to no cluster yet; {@code fromMayForm} is false if it
   * knows it is not among its own seeds.
   */
  public void notJoined(NodeId from, boolean fromMayForm, long now) {
    notJoined.put(from.address(), from);
    notJoinedAt.put(from.address(), now);
    if (fromMayForm) {
      mayForm.put(from.address(), from);
    } else {
      mayForm.remove(from.address());
    }
  }

  /**
   * What this node's "not joined" answer says: false once an attempt found this node is not among
   * its seeds (it never forms); true before its first attempt and while it is listed.
   */
  public boolean mayForm() {
    Boolean l = listed;
    return l == null || l;
  }

  /** Attempts so far. */
  public int attempts() {
    return attempts;
  }

  /** Why this node has not joined yet, for a log line. */
  public String describe(Transport transport) {
    StringBuilder why = new StringBuilder();
    why.append("seeds resolve to ").append(lastResolved.isEmpty() ? "nothing" : lastResolved);
    if (!notJoined.isEmpty()) {
      why.append("; not joined yet themselves: ").append(notJoined.keySet());
    }
    List<String> failures = new ArrayList<>();
    for (InetSocketAddress seed : lastResolved) {
      if (!isSelf(seed)) {
        String f = transport.lastFailure(Transport.seed(dialHost(seed), seed.getPort()));
        if (f != null) {
          failures.add(dialHost(seed) + ":" + seed.getPort() + " " + f);
        }
      }
    }
    if (!failures.isEmpty()) {
      why.append("; failures: ").append(failures);
    }
    return why.toString();
  }

  /**
   * The host to dial for {@code seed}: its IP once resolved. A DNS answer keeps the name it was
   * asked for ({@code flock/10.0.0.5}), and dialing that name again let the transport pick any one
   * of the addresses, for every seed alike: a node scaled in behind a headless service dialed
   * itself for all of them and never joined ({@code DnsSeedsIT}).
   */
  static String dialHost(InetSocketAddress seed) {
    return seed.isUnresolved() ? seed.getHostString() : seed.getAddress().getHostAddress();
  }

  /** Whether {@code seed} is this node's own address (by name, or as a resolved local address). */
  public boolean isSelf(InetSocketAddress seed) {
    if (seed.getPort() != self.port()) {
      return false;
    }
    String host = seed.getHostString();
    if (host.equals(self.host())
        || host.equals(bindHost)
        || (host.equals("localhost") && self.host().equals("127.0.0.1"))) {
      return true;
    }
    InetAddress address = seed.isUnresolved() ? null : seed.getAddress();
    return address != null && isLocal(address) && (isWildcard(bindHost) || isBound(address));
  }

  private boolean isBound(InetAddress address) {
    return address.getHostAddress().equals(bindHost)
        || address.getHostAddress().equals(self.host());
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
  }

  private static boolean isLocal(InetAddress address) {
    if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      return false;
    }
  }
}
