package io.flock.membership.internal.join;

import io.flock.membership.SeedResolver;
import java.net.InetSocketAddress;
import java.util.List;

/** A fixed seed list: a list naming only this node (or nothing) means "form a cluster of one". */
public record StaticSeeds(List<InetSocketAddress> seeds) implements SeedResolver {
  /** Copies the list. */
  public StaticSeeds {
    seeds = List.copyOf(seeds);
  }

  @Override
  public List<InetSocketAddress> resolve() {
    return seeds;
  }
}
