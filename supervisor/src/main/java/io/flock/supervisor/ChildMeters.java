package io.flock.supervisor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one local supervisor's children, tagged with the supervisor's name: started,
 * restarted, exited (normal or crash), abandoned (ignored its interrupt past its shutdown), and the
 * gauge of children whose thread runs now.
 *
 * <p>Threading: any thread.
 */
final class ChildMeters {
  final Counter started;
  final Counter restarted;
  final Counter exitedNormal;
  final Counter crashed;
  final Counter abandoned;
  private final AtomicInteger active = new AtomicInteger();

  ChildMeters(String supervisor, MeterRegistry meters) {
    started = counter("flock.children.started", supervisor, meters);
    restarted = counter("flock.children.restarted", supervisor, meters);
    exitedNormal = exited("normal", supervisor, meters);
    crashed = exited("crash", supervisor, meters);
    abandoned = counter("flock.children.abandoned", supervisor, meters);
    Gauge.builder("flock.children.active", active, AtomicInteger::get)
        .tag("supervisor", supervisor)
        .register(meters);
  }

  private static Counter counter(String meter, String supervisor, MeterRegistry meters) {
    return Counter.builder(meter).tag("supervisor", supervisor).register(meters);
  }

  private static Counter exited(String kind, String supervisor, MeterRegistry meters) {
    return Counter.builder("flock.children.exited")
        .tag("supervisor", supervisor)
        .tag("kind", kind)
        .register(meters);
  }

  /** A child's thread started. */
  void threadStarted() {
    active.incrementAndGet();
  }

  /** A child's thread ended (or was abandoned). */
  void threadEnded() {
    active.decrementAndGet();
  }

  /** Children whose thread runs now. */
  int active() {
    return active.get();
  }
}
