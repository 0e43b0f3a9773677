package io.flock.membership.internal.join;

import io.flock.membership.NodeId;
import io.flock.membership.SeedResolver;
import io.flock.membership.internal.transport.Transport;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joining through seeds: every attempt re-reads the seeds (a DNS name may resolve to more nodes by
 * now) and asks each one that is not this node. A node whose seeds name only itself is the first
 * node: it forms a cluster of one. Core thread only.
 */
public final class Joiner {
  private static final Logger log = LoggerFactory.getLogger(Joiner.class);

  /** What an attempt did. */
  public enum Attempt {
    /** Join requests went to the seeds; an answer will make this node UP. */
    ASKED,
    /** No seed but this node: it forms a cluster of one. */
    ALONE,
    /** The seeds could not be resolved; the next attempt tries again. */
    FAILED
  }

  private final NodeId self;
  private final String bindHost;
  private final SeedResolver seeds;

  /** Joins {@code self} (bound on {@code bindHost}) through {@code seeds}. */
  public Joiner(NodeId self, String bindHost, SeedResolver seeds) {
    this.self = self;
    this.bindHost = bindHost;
    this.seeds = seeds;
  }

  /** Sends a join request (built by the caller) to every seed that is not this node. */
  public Attempt attempt(Transport transport, Object request) {
    List<InetSocketAddress> resolved;
    try {
      resolved = seeds.resolve();
    } catch (Exception e) {
      log.warn("[{}] cannot resolve seeds: {}", self.name(), e.toString());
      return Attempt.FAILED;
    }
    boolean asked = false;
    for (InetSocketAddress seed : resolved) {
      if (isSelf(seed)) {
        continue;
      }
      asked = true;
      boolean unused =
          transport.send(Transport.seed(seed.getHostString(), seed.getPort()), request);
    }
    return asked ? Attempt.ASKED : Attempt.ALONE;
  }

  /** Whether {@code seed} is this node's own address. */
  public boolean isSelf(InetSocketAddress seed) {
    if (seed.getPort() != self.port()) {
      return false;
    }
    String host = seed.getHostString();
    return host.equals(self.host())
        || host.equals(bindHost)
        || (host.equals("localhost") && self.host().equals("127.0.0.1"));
  }
}
