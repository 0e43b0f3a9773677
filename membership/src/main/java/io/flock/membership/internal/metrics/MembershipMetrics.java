package io.flock.membership.internal.metrics;

import io.flock.membership.ClusterStatus;
import io.flock.membership.Member;
import io.flock.membership.MemberStatus;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.transport.TransportStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The membership module's meters, every one tagged {@code node=<name>} so several nodes can share
 * one registry. Gauges read a snapshot the node refreshes on its heartbeat tick ({@link #refresh}),
 * never the core's state directly, so a scrape from any thread is safe.
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><td>flock.members{status}</td><td>gauge: members this node sees, by status</td></tr>
 *   <tr><td>flock.quorum</td><td>gauge: 1 with quorum, else 0</td></tr>
 *   <tr><td>flock.reachability.changes</td><td>counter: unreachable/reachable verdicts</td></tr>
 *   <tr><td>flock.transport.bytes{direction}</td><td>counter: frame bytes sent/received</td></tr>
 *   <tr><td>flock.transport.frames{direction}</td><td>counter: envelopes sent/received</td></tr>
 *   <tr><td>flock.transport.connects</td><td>counter: outgoing connection attempts</td></tr>
 *   <tr><td>flock.transport.refused</td><td>counter: failed handshakes, bad frames, floods</td></tr>
 *   <tr><td>flock.transport.dropped</td><td>counter: sends refused (queue full, backpressure)</td></tr>
 *   <tr><td>flock.messages.unknown</td><td>counter: messages of a type with no handler</td></tr>
 *   <tr><td>flock.hlc.clamped</td><td>counter: remote timestamps beyond the drift bound</td></tr>
 *   <tr><td>flock.members.false.downs</td><td>counter: down verdicts contradicted by hearing the
 *       same incarnation again</td></tr>
 *   <tr><td>flock.replication.lag{scope}</td><td>gauge: largest unacknowledged local writes</td></tr>
 * </table>
 */
public final class MembershipMetrics implements MeterBinder {
  private final String node;
  private final Transport transport;
  private final LongSupplier reachabilityChanges;
  private final LongSupplier unknownMessages;
  private final LongSupplier clamped;
  private final LongSupplier falseDowns;
  private final List<MultiGauge> lagGauges = new CopyOnWriteArrayList<>();
  private volatile Map<MemberStatus, Integer> byStatus = new EnumMap<>(MemberStatus.class);
  private volatile boolean quorum;

  /** Meters of one node. */
  public MembershipMetrics(
      String node,
      Transport transport,
      LongSupplier reachabilityChanges,
      LongSupplier unknown,
      LongSupplier clamped,
      LongSupplier falseDowns) {
    this.node = node;
    this.transport = transport;
    this.reachabilityChanges = reachabilityChanges;
    this.unknownMessages = unknown;
    this.clamped = clamped;
    this.falseDowns = falseDowns;
  }

  /** Core thread: a fresh snapshot for the gauges. */
  public void refresh(ClusterStatus status) {
    Map<MemberStatus, Integer> counts = new EnumMap<>(MemberStatus.class);
    for (Member m : status.members()) {
      counts.merge(m.status(), 1, Integer::sum);
    }
    byStatus = counts;
    quorum = status.quorum();
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (ClusterStatus.ScopeStatus s : status.scopes()) {
      rows.add(MultiGauge.Row.of(Tags.of("scope", s.name()), s.maxLag()));
    }
    for (MultiGauge g : lagGauges) {
      g.register(rows, true);
    }
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Tags tags = Tags.of("node", node);
    for (MemberStatus s : MemberStatus.values()) {
      Gauge.builder("flock.members", this, m -> m.byStatus.getOrDefault(s, 0))
          .tags(tags.and("status", s.name()))
          .description("members this node sees, by status")
          .register(registry);
    }
    Gauge.builder("flock.quorum", this, m -> m.quorum ? 1 : 0)
        .tags(tags)
        .description("1 while this node has quorum")
        .register(registry);
    counter(registry, "flock.reachability.changes", tags, r -> reachabilityChanges.getAsLong());
    counter(registry, "flock.messages.unknown", tags, r -> unknownMessages.getAsLong());
    counter(registry, "flock.hlc.clamped", tags, r -> clamped.getAsLong());
    counter(registry, "flock.members.false.downs", tags, r -> falseDowns.getAsLong());
    stat(
        registry,
        "flock.transport.bytes",
        tags.and("direction", "sent"),
        TransportStats::bytesSent);
    stat(
        registry,
        "flock.transport.bytes",
        tags.and("direction", "received"),
        TransportStats::bytesReceived);
    stat(
        registry,
        "flock.transport.frames",
        tags.and("direction", "sent"),
        TransportStats::framesSent);
    stat(
        registry,
        "flock.transport.frames",
        tags.and("direction", "received"),
        TransportStats::framesReceived);
    stat(registry, "flock.transport.connects", tags, TransportStats::connects);
    stat(registry, "flock.transport.refused", tags, TransportStats::refused);
    stat(registry, "flock.transport.dropped", tags, TransportStats::dropped);
    lagGauges.add(
        MultiGauge.builder("flock.replication.lag")
            .tags(tags)
            .description("local writes the slowest neighbour has not acknowledged")
            .register(registry));
  }

  private void counter(
      MeterRegistry registry, String name, Tags tags, ToDoubleFunction<MembershipMetrics> f) {
    FunctionCounter.builder(name, this, f).tags(tags).register(registry);
  }

  private void stat(
      MeterRegistry registry,
      String name,
      Tags tags,
      java.util.function.ToLongFunction<TransportStats> f) {
    FunctionCounter.builder(name, transport, t -> f.applyAsLong(t.stats()))
        .tags(tags)
        .register(registry);
  }
}
