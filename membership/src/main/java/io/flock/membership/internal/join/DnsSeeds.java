package io.flock.membership.internal.join;

import io.flock.membership.SeedResolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Seeds from a DNS name. The {@link Joiner} resolves it through the transport's asynchronous
 * resolver; {@link #resolve} (the JDK's, blocking) is only the fallback for other callers.
 */
public record DnsSeeds(String name, int port) implements SeedResolver {
  /** Validates the port. */
  public DnsSeeds {
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1 to 65535, was " + port);
    }
  }

  @Override
  public List<InetSocketAddress> resolve() {
    List<InetSocketAddress> out = new ArrayList<>();
    try {
      for (InetAddress a : InetAddress.getAllByName(name)) {
        out.add(new InetSocketAddress(a, port));
      }
    } catch (UnknownHostException notYet) {
      // nothing resolvable yet: the next attempt tries again
    }
    return out;
  }
}
