package io.flock.membership;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where to find seed nodes. Called on the core thread at every join attempt, so a DNS name that
 * resolves to several addresses (a Kubernetes headless service) is re-read until the node joins.
 * Implementations must be quick; the DNS one relies on the JVM's resolver cache, which by default
 * remembers a failed lookup for 10 s ({@code networkaddress.cache.negative.ttl}), so a headless
 * name that is still empty delays the join by up to that much. Peers themselves are dialled through
 * the transport's own asynchronous resolver, which remembers no failure.
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
    List<InetSocketAddress> fixed = List.copyOf(seeds);
    return () -> fixed;
  }

  /** Every address a DNS name resolves to, each with {@code port}. */
  static SeedResolver dns(String name, int port) {
    requireNonNull(name, "name");
    return () -> {
      List<InetSocketAddress> out = new ArrayList<>();
      try {
        for (InetAddress a : InetAddress.getAllByName(name)) {
          out.add(new InetSocketAddress(a, port));
        }
      } catch (UnknownHostException notYet) {
        // nothing resolvable yet: the next attempt tries again
      }
      return out;
    };
  }
}
