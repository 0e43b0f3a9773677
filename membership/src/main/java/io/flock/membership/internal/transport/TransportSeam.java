package io.flock.membership.internal.transport;

import static java.util.Objects.requireNonNull;

import io.flock.membership.ClusterBuilder;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The test seam that wraps a node's transport (the testkit's fault injection), reachable from the
 * testkit without a public method on {@link ClusterBuilder}: the builder hands its package-private
 * setter to this class when it is first loaded. Not an API: internal, and may change at any time.
 */
public final class TransportSeam {
  private static volatile @Nullable BiConsumer<ClusterBuilder, UnaryOperator<Transport>> setter;

  private TransportSeam() {}

  /** Called once, by {@link ClusterBuilder}'s static initializer. */
  public static void install(BiConsumer<ClusterBuilder, UnaryOperator<Transport>> builderSetter) {
    setter = requireNonNull(builderSetter, "builderSetter");
  }

  /** Makes {@code builder}'s node wrap its transport with {@code decorator}. */
  public static ClusterBuilder decorate(
      ClusterBuilder builder, UnaryOperator<Transport> decorator) {
    requireNonNull(builder, "builder"); // a builder exists, so its class initializer has run
    requireNonNull(decorator, "decorator");
    BiConsumer<ClusterBuilder, UnaryOperator<Transport>> s = setter;
    if (s == null) {
      throw new IllegalStateException("ClusterBuilder did not install its transport seam");
    }
    s.accept(builder, decorator);
    return builder;
  }
}
