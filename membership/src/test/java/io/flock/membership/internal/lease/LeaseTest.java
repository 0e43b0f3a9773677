package io.flock.membership.internal.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The lease arithmetic on a simulated clock ({@code MS} = a millisecond in nanoseconds). */
class LeaseTest {
  private static final long MS = 1_000_000L;
  private final AtomicLong now = new AtomicLong(-5_000 * MS); // nanoTime may be negative
  private final Lease lease = new Lease(Duration.ofSeconds(1), now::get);
  private final Set<String> five = Set.of("self", "a", "b", "c", "d");

  @Test
  void aJoiningNodeHoldsNoLease() {
    assertThat(lease.isValid()).isFalse();
    assertThat(lease.remainingNanos()).isZero();
    assertThat(lease.recompute(false, five, 5, "self")).isFalse();
    assertThat(lease.isValid()).isFalse();
  }

  @Test
  void theLeaseRunsFromTheSendTimeTheQuorumAcknowledged() {
    long t = now.get();
    lease.acked("a", t); // with self, 2 of 5: not a quorum
    assertThat(lease.recompute(true, five, 5, "self")).isFalse();
    assertThat(lease.isValid()).isFalse();
    lease.acked("b", t + 100 * MS); // self, a, b: 3 of 5, the older of the two counts
    now.set(t + 300 * MS);
    assertThat(lease.recompute(true, five, 5, "self")).isTrue(); // regained
    assertThat(lease.expiresAt()).isEqualTo(t + 1_000 * MS);
    now.set(t + 999 * MS);
    assertThat(lease.isValid()).isTrue();
    now.set(t + 1_000 * MS);
    assertThat(lease.isValid()).isFalse(); // however late the core runs, it lapsed
    assertThat(lease.lapsed()).isTrue();
    assertThat(lease.lapsed()).isFalse(); // reported once
  }

  @Test
  void aNodeAloneIsItsOwnQuorumAndAForgottenPeerNoLongerCounts() {
    assertThat(lease.recompute(true, Set.of("self"), 1, "self")).isTrue();
    assertThat(lease.isValid()).isTrue();
    lease.acked("a", now.get());
    assertThat(lease.recompute(true, Set.of("self", "a", "b"), 3, "self")).isFalse();
    assertThat(lease.isValid()).isTrue();
    // A member joining does not take away a lease already granted ...
    now.addAndGet(500 * MS);
    assertThat(lease.isValid()).isTrue();
    lease.forget("a");
    lease.recompute(true, Set.of("self", "a", "b"), 3, "self");
    assertThat(lease.isValid()).isTrue();
    // ... but renewing it takes a quorum of the members now.
    now.addAndGet(600 * MS);
    lease.recompute(true, Set.of("self", "a", "b"), 3, "self");
    assertThat(lease.isValid()).isFalse();
  }

  @Test
  void lapseNeedsAQuorumOfFreshEvidenceOrTheMembersOwnWord() {
    LapseEvidence e = new LapseEvidence(Duration.ofMillis(1_100));
    long t = 0;
    Set<String> names = Set.of("self", "a", "x");
    e.acked("x", t);
    assertThat(e.lapsed("x", "self", names, 3, t + 2_000 * MS)).isFalse(); // my silence alone
    e.report("a", Set.of("x"), t + 2_000 * MS);
    assertThat(e.lapsed("x", "self", names, 3, t + 2_000 * MS)).isTrue(); // self + a
    assertThat(e.lapsed("x", "self", names, 3, t + 2_500 * MS)).isTrue(); // a's report is fresh
    assertThat(e.lapsed("x", "self", names, 3, t + 4_000 * MS)).isFalse(); // ... and then stale
    e.acked("x", t + 4_000 * MS);
    assertThat(e.lapsed("x", "self", names, 3, t + 4_100 * MS)).isFalse(); // heard again
    e.selfReport("x", true);
    assertThat(e.lapsed("x", "self", names, 3, t + 4_100 * MS)).isTrue(); // it says so itself
    assertThat(e.unackedByMe(List.of("x"), t + 6_000 * MS)).containsExactly("x");
  }
}
