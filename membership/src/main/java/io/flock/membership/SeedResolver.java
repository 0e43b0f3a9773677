package io.flock.membership;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Where to find seed nodes, re-read at every join attempt until the node joins. A custom resolver
 * is called off the core thread (it may block briefly).
 *
 * <p>Formation: a node forms a new cluster only by a rule two nodes cannot both satisfy at once.
 * With a fixed list ({@link #of}) that names no node but this one, it forms a cluster of one at
 * once. Otherwise it forms only if it finds its own address among the seeds, no seed answered that
 * it belongs to a cluster, and its address is the lowest of itself and the seeds that answered "not
 * joined yet", continuously for a margin (three join attempts); every other node keeps asking. An
 * empty or unresolvable dynamic list never forms anything.
 */
@FunctionalInterface
public interface SeedResolver {
  /** The seed addresses now (may be empty). */
  List<InetSocketAddress> resolve() throws Exception;

  /**
   * A fixed list of {@code host:port} strings.
   *
   * @throws IllegalArgumentException naming the malformed entry
   */
  static SeedResolver of(List<String> hostPorts) {
    List<InetSocketAddress> seeds = new ArrayList<>();
    for (String hp : requireNonNull(hostPorts, "hostPorts")) {
      int colon = hp.lastIndexOf(':');
      if (colon <= 0 || colon == hp.length() - 1) {
        throw new IllegalArgumentException("seed '" + hp + "' is not host:port");
      }
      int port;
      try {
        port = Integer.parseInt(hp.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("seed '" + hp + "' has no numeric port", e);
      }
      seeds.add(InetSocketAddress.createUnresolved(hp.substring(0, colon), port));
    }
    return new io.flock.membership.internal.join.StaticSeeds(seeds);
  }

  /**
   * Every address a DNS name resolves to, each with {@code port} (a Kubernetes headless service).
   * The cluster resolves it asynchronously through the transport's resolver, off the core thread,
   * and remembers no failed lookup; a node recognises its own address among the answers.
   */
  static SeedResolver dns(String name, int port) {
    return new io.flock.membership.internal.join.DnsSeeds(requireNonNull(name, "name"), port);
  }
}
