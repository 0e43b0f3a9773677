package io.flock.membership;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A named set of types that may travel between nodes: values of {@link Scope}s, messages of {@link
 * Endpoint}s. Every node of a cluster must start with the same sets ({@link
 * ClusterBuilder#wireTypes}); nodes whose sets differ refuse each other at the handshake with an
 * error that names the difference, instead of meeting and failing to decode each other later.
 *
 * <p>Ids: an application's types take ids from 1000 to 2<sup>20</sup>, which no Flock module uses
 * (Flock's modules use ids below 1000, each in a range of its own). A record, an enum or a class
 * with a no-argument constructor can be registered as it is, as long as every type it contains is
 * registered too; anything else gets a {@link WireFormat}. Immutable.
 *
 * <pre>{@code
 * WireTypes orders = WireTypes.builder("orders")
 *     .add(1000, OrderPlaced.class)
 *     .add(1001, Money.class, new MoneyFormat())
 *     .build();
 * }</pre>
 */
public final class WireTypes {
  /**
   * One registration.
   *
   * @param id the wire id
   * @param type the class
   * @param format how it is written, or null for the default (fields of records and beans)
   */
  public record Entry(int id, Class<?> type, @Nullable WireFormat<?> format) {
    /** Validates the entry. */
    public Entry {
      requireNonNull(type, "type");
    }
  }

  private final String module;
  private final List<Entry> entries;

  private WireTypes(String module, List<Entry> entries) {
    this.module = module;
    this.entries = List.copyOf(entries);
  }

  /**
   * A builder of the set named {@code module} (names starting with {@code flock.} are Flock's).
   *
   * @throws IllegalArgumentException if {@code module} is blank
   */
  public static Builder builder(String module) {
    requireNonNull(module, "module");
    if (module.isBlank() || module.contains(":")) {
      throw new IllegalArgumentException(
          "module must be a non-blank name without ':', was '" + module + "'");
    }
    return new Builder(module);
  }

  /** The set's name. */
  public String module() {
    return module;
  }

  /** The registrations, in the order they were added. */
  public List<Entry> entries() {
    return entries;
  }

  @Override
  public String toString() {
    return "WireTypes[" + module + ", " + entries.size() + " types]";
  }

  /** Collects registrations; each call checks its arguments at once. */
  public static final class Builder {
    private final String module;
    private final List<Entry> entries = new ArrayList<>();

    private Builder(String module) {
      this.module = module;
    }

    /** Registers {@code type} under {@code id}, written field by field. */
    public <T> Builder add(int id, Class<T> type) {
      return entry(new Entry(id, type, null));
    }

    /** Registers {@code type} under {@code id}, written by {@code format}. */
    public <T> Builder add(int id, Class<T> type, WireFormat<T> format) {
      return entry(new Entry(id, type, requireNonNull(format, "format")));
    }

    private Builder entry(Entry e) {
      for (Entry other : entries) {
        if (other.id() == e.id()) {
          throw new IllegalArgumentException(
              "id " + e.id() + " is already taken by " + other.type().getName());
        }
        if (other.type() == e.type()) {
          throw new IllegalArgumentException(e.type().getName() + " is already registered");
        }
      }
      entries.add(e);
      return this;
    }

    /** The immutable set. */
    public WireTypes build() {
      return new WireTypes(module, entries);
    }
  }
}
