/**
 * Supervision: {@link io.flock.supervisor.LocalSupervisor} runs children on virtual threads with
 * OTP DynamicSupervisor semantics (restart types, restart intensity, shutdown), and reports every
 * event to listeners, SLF4J and Micrometer.
 *
 * <p>Nothing in this package accepts or returns {@code null} unless a method says so. Public
 * operations return {@link java.util.concurrent.CompletableFuture}s and never throw into the
 * caller's thread for a supervision failure: such failures complete the future exceptionally with a
 * {@link io.flock.supervisor.SupervisorException}.
 */
@NullMarked
package io.flock.supervisor;

import org.jspecify.annotations.NullMarked;
