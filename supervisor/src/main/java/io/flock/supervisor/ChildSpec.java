package io.flock.supervisor;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What to run and how to supervise it. Immutable and validated at construction; it names its {@link
 * ChildFactory} instead of holding code, so it can travel to another node.
 *
 * @param id unique within a supervisor; 1 to 255 characters
 * @param factory the name of a {@link ChildFactory} registered on every node
 * @param args arguments for the factory (copied; small strings, they travel with the spec)
 * @param restart when an exited child is restarted
 * @param shutdown how it is stopped
 * @param name a name the child holds in the supervisor's {@code Registry} while it runs (Elixir's
 *     {@code :via}), or null; 1 to 255 characters
 */
public record ChildSpec(
    String id,
    String factory,
    Map<String, String> args,
    Restart restart,
    Shutdown shutdown,
    @Nullable String name) {

  /** The default shutdown: interrupt, then wait up to 5 seconds (OTP's default for workers). */
  public static final Shutdown DEFAULT_SHUTDOWN = new Shutdown.Timeout(Duration.ofSeconds(5));

  /**
   * Validates and copies.
   *
   * @throws NullPointerException naming the null component
   * @throws IllegalArgumentException naming the component that is invalid
   */
  public ChildSpec {
    requireNonNull(id, "id");
    requireNonNull(factory, "factory");
    requireNonNull(args, "args");
    requireNonNull(restart, "restart");
    requireNonNull(shutdown, "shutdown");
    if (id.isEmpty() || id.length() > 255) {
      throw new IllegalArgumentException("id must have 1 to 255 characters, was " + id.length());
    }
    if (factory.isEmpty()) {
      throw new IllegalArgumentException("factory must not be empty");
    }
    if (name != null && (name.isEmpty() || name.length() > 255)) {
      throw new IllegalArgumentException(
          "name must have 1 to 255 characters, was " + name.length());
    }
    args = Map.copyOf(args);
  }

  /** A permanent child with no arguments and the default shutdown. */
  public static ChildSpec of(String id, String factory) {
    return new ChildSpec(id, factory, Map.of(), Restart.PERMANENT, DEFAULT_SHUTDOWN, null);
  }

  /** This spec with other arguments. */
  public ChildSpec withArgs(Map<String, String> newArgs) {
    return new ChildSpec(id, factory, newArgs, restart, shutdown, name);
  }

  /** This spec with another restart type. */
  public ChildSpec withRestart(Restart newRestart) {
    return new ChildSpec(id, factory, args, newRestart, shutdown, name);
  }

  /** This spec with another shutdown. */
  public ChildSpec withShutdown(Shutdown newShutdown) {
    return new ChildSpec(id, factory, args, restart, newShutdown, name);
  }

  /**
   * This spec with a name the child holds while it runs: registered in the supervisor's registry
   * ({@link DistributedSupervisor.Builder#names}) when it starts, at each new placement, and
   * unregistered when it ends for good.
   */
  public ChildSpec withName(String newName) {
    return new ChildSpec(id, factory, args, restart, shutdown, requireNonNull(newName, "newName"));
  }
}
