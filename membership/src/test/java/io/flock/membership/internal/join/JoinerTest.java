package io.flock.membership.internal.join;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.NodeId;
import io.flock.membership.SeedResolver;
import io.flock.membership.internal.transport.Transport;
import io.flock.membership.internal.transport.TransportStats;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class JoinerTest {
  private static final long MS = 1_000_000L;
  private static final Duration RETRY = Duration.ofMillis(500);
  private static final NodeId A = new NodeId("a", "127.0.0.1", 7000, 1);
  private static final NodeId B = new NodeId("b", "127.0.0.1", 7001, 1);
  private static final List<InetSocketAddress> BOTH =
      List.of(
          InetSocketAddress.createUnresolved("127.0.0.1", 7000),
          InetSocketAddress.createUnresolved("127.0.0.1", 7001));

  /** Records what a joiner sends. */
  static final class Sent implements Transport {
    final List<NodeId> to = new ArrayList<>();

    @Override
    public NodeId self() {
      return A;
    }

    @Override
    public boolean send(NodeId target, Object body) {
      to.add(target);
      return true;
    }

    @Override
    public void disconnect(NodeId peer) {}

    @Override
    public void redial(NodeId peer) {}

    @Override
    public void reincarnate(NodeId next) {}

    @Override
    public boolean isWritable(NodeId peer) {
      return true;
    }

    @Override
    public CompletableFuture<Boolean> probeRefused(NodeId peer) {
      return CompletableFuture.completedFuture(false);
    }

    @Override
    public @Nullable String lastFailure(NodeId to) {
      return "refused";
    }

    @Override
    public CompletableFuture<List<InetSocketAddress>> resolveAll(String host, int port) {
      return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public void reading(boolean on) {}

    @Override
    public TransportStats stats() {
      return new TransportStats(0, 0, 0, 0, 0, 0, 0);
    }

    @Override
    public void close() {}
  }

  private static Joiner joiner(NodeId self, SeedResolver seeds) {
    return new Joiner(self, "127.0.0.1", seeds, RETRY);
  }

  @Test
  void aFixedListNamingOnlyThisNodeFormsAtOnce() {
    Sent t = new Sent();
    Joiner j = joiner(A, SeedResolver.of(List.of("127.0.0.1:7000")));
    assertThat(j.attempt(j.resolve(t).join(), t, "join", 0)).isEqualTo(Joiner.Decision.FORM);
    assertThat(t.to).isEmpty();
    Joiner none = joiner(A, SeedResolver.of(List.of()));
    assertThat(none.attempt(List.of(), t, "join", 0)).isEqualTo(Joiner.Decision.FORM);
  }

  @Test
  void twoNodesStartingWhileDiscoveryIsEmptyNeverForm() {
    Sent t = new Sent();
    SeedResolver empty = List::of; // a dynamic resolver with nothing yet
    Joiner a = joiner(A, empty);
    Joiner b = joiner(B, empty);
    for (long now = 0; now < 10_000 * MS; now += 500 * MS) {
      assertThat(a.attempt(List.of(), t, "join", now)).isEqualTo(Joiner.Decision.WAIT);
      assertThat(b.attempt(List.of(), t, "join", now)).isEqualTo(Joiner.Decision.WAIT);
    }
    assertThat(a.describe(t)).contains("resolve to nothing");
  }

  @Test
  void ofTwoNodesThatHearEachOtherOnlyTheLowestFormsAndOnlyAfterTheMargin() {
    Sent t = new Sent();
    SeedResolver dynamic = () -> BOTH;
    Joiner a = joiner(A, dynamic);
    Joiner b = joiner(B, dynamic);
    List<Joiner.Decision> aSaid = new ArrayList<>();
    for (long now = 0; now <= 3_000 * MS; now += 500 * MS) {
      a.notJoined(B, true, now);
      b.notJoined(A, true, now);
      aSaid.add(a.attempt(BOTH, t, "join", now));
      assertThat(b.attempt(BOTH, t, "join", now)).isEqualTo(Joiner.Decision.WAIT);
    }
    assertThat(aSaid.get(0)).isEqualTo(Joiner.Decision.WAIT);
    assertThat(aSaid).contains(Joiner.Decision.FORM);
    assertThat(t.to).extracting(NodeId::port).contains(7000, 7001); // each asked the other
  }

  /**
   * Found by QuorumPartitionIT: a node told it was down rejoined and "formed a new cluster" at its
   * first attempt, 0.1 s after reincarnating, beside the live cluster that had just told it so: the
   * formation clock still ran from its first start, when it had been lowest for a moment.
   */
  @Test
  void aRejoiningNodeFormsOnlyIfTheRuleHoldsAfreshForTheMargin() {
    Sent t = new Sent();
    Joiner a = joiner(A, () -> BOTH);
    long start = 1_000 * MS;
    assertThat(a.attempt(BOTH, t, "join", start)).isEqualTo(Joiner.Decision.WAIT);
    // ... it was accepted then; a minute later it is told it is down and joins again.
    a.rejoin();
    long later = start + 60_000 * MS;
    List<Joiner.Decision> said = new ArrayList<>();
    for (long now = later; now < later + 1_500 * MS; now += 500 * MS) {
      a.notJoined(B, true, now); // b, restarted too, has not joined either
      said.add(a.attempt(BOTH, t, "join", now));
    }
    assertThat(said).containsOnly(Joiner.Decision.WAIT);
    a.notJoined(B, true, later + 1_500 * MS);
    assertThat(a.attempt(BOTH, t, "join", later + 1_500 * MS)).isEqualTo(Joiner.Decision.FORM);
  }

  /**
   * Found by {@code DnsSeedsIT}: DNS answers keep the name asked for ({@code flock/10.0.0.2}), and
   * the joiner dialed that name for every seed, so the transport connected to whichever address the
   * name resolved to — the node itself — and it never joined. Each seed is dialed at its IP.
   */
  @Test
  void eachResolvedSeedIsDialedAtItsOwnAddressNotTheNameAskedFor() throws Exception {
    Sent t = new Sent();
    List<InetSocketAddress> resolved =
        List.of(
            new InetSocketAddress(
                java.net.InetAddress.getByAddress("flock", new byte[] {10, 0, 0, 2}), 7000),
            new InetSocketAddress(
                java.net.InetAddress.getByAddress("flock", new byte[] {10, 0, 0, 3}), 7000));
    Joiner j = joiner(A, SeedResolver.dns("flock", 7000));
    assertThat(j.attempt(resolved, t, "join", 1_000 * MS)).isEqualTo(Joiner.Decision.WAIT);
    assertThat(t.to).extracting(NodeId::host).containsExactly("10.0.0.2", "10.0.0.3");
  }

  /**
   * Found by {@code DnsSeedsIT}: a node scaled into a running cluster through DNS seeds resolved
   * every member's address but heard none of them within three attempts (it had just been attached
   * to the network), was the lowest of those that answered (itself alone), and formed a second
   * cluster beside the first. With a dynamic list every other seed must answer "not joined yet"
   * before anyone forms; silence is not consent.
   */
  @Test
  void aNodeThatHearsNoneOfItsDnsSeedsNeverFormsBesideThem() {
    Sent t = new Sent();
    Joiner a = joiner(A, () -> BOTH);
    for (long now = 1_000 * MS; now < 10_000 * MS; now += 500 * MS) {
      assertThat(a.attempt(BOTH, t, "join", now)).isEqualTo(Joiner.Decision.WAIT);
    }
    // A fixed list keeps its rule: listed, hearing nobody, it forms after the margin.
    Joiner fixed = joiner(A, SeedResolver.of(List.of("127.0.0.1:7000", "127.0.0.1:7001")));
    List<Joiner.Decision> said = new ArrayList<>();
    for (long now = 1_000 * MS; now <= 2_500 * MS; now += 500 * MS) {
      said.add(fixed.attempt(BOTH, t, "join", now));
    }
    assertThat(said).endsWith(Joiner.Decision.FORM);
  }

  /**
   * With DNS seeds every other seed must answer before anyone forms: the answer of a node that is
   * no seed (it only asks the seeds, and they ask it back) does not stand in for a seed that never
   * answered. Before, it counted, and the lowest seed formed beside a silent one.
   */
  @Test
  void anAnswerFromANodeThatIsNoSeedDoesNotCountAsASeedHeard() {
    Sent t = new Sent();
    NodeId asker = new NodeId("asker", "127.0.0.1", 7005, 1);
    Joiner a = joiner(A, () -> BOTH);
    for (long now = 1_000 * MS; now < 10_000 * MS; now += 500 * MS) {
      a.notJoined(asker, false, now); // B never answers
      assertThat(a.attempt(BOTH, t, "join", now)).isEqualTo(Joiner.Decision.WAIT);
    }
  }

  @Test
  void aNodeNotListedAmongItsSeedsNeverForms() {
    Sent t = new Sent();
    Joiner c = joiner(new NodeId("c", "127.0.0.1", 7002, 1), () -> BOTH);
    for (long now = 0; now < 5_000 * MS; now += 500 * MS) {
      assertThat(c.attempt(BOTH, t, "join", now)).isEqualTo(Joiner.Decision.WAIT);
    }
  }

  /**
   * Found by the demo (issue 21): a lower-addressed node that is no seed of its own asks the seeds,
   * they ask it back (it is a node they heard), and its "not joined" kept every seed waiting for it
   * to form, which it never may. Its answer now says so, and the lowest seed forms.
   */
  @Test
  void aLowerNodeThatIsNoSeedDoesNotKeepTheSeedsFromForming() {
    Sent t = new Sent();
    NodeId lower = new NodeId("asker", "127.0.0.1", 6999, 1);
    Joiner asker = joiner(lower, SeedResolver.of(List.of("127.0.0.1:7000", "127.0.0.1:7001")));
    assertThat(asker.mayForm()).isTrue(); // before it knows its seeds: the cautious answer
    assertThat(asker.attempt(asker.resolve(t).join(), t, "join", 0))
        .isEqualTo(Joiner.Decision.WAIT);
    assertThat(asker.mayForm()).isFalse();
    Joiner a = joiner(A, SeedResolver.of(List.of("127.0.0.1:7000", "127.0.0.1:7001")));
    List<Joiner.Decision> said = new ArrayList<>();
    for (long now = 0; now <= 3_000 * MS; now += 500 * MS) {
      a.notJoined(B, true, now);
      a.notJoined(lower, asker.mayForm(), now);
      said.add(a.attempt(BOTH, t, "join", now));
    }
    assertThat(said).endsWith(Joiner.Decision.FORM);
    // The same answer from a node that may form still holds the seeds back (it is lower).
    Joiner b = joiner(A, SeedResolver.of(List.of("127.0.0.1:7000", "127.0.0.1:7001")));
    for (long now = 0; now <= 3_000 * MS; now += 500 * MS) {
      b.notJoined(lower, true, now);
      assertThat(b.attempt(BOTH, t, "join", now)).isEqualTo(Joiner.Decision.WAIT);
    }
  }

  @Test
  void recognisesItsOwnAddressUnderItsNamesAndAsAResolvedLocalAddress() {
    Joiner j = joiner(A, SeedResolver.of(List.of()));
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("127.0.0.1", 7000))).isTrue();
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("localhost", 7000))).isTrue();
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("127.0.0.1", 7001))).isFalse();
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("10.1.1.1", 7000))).isFalse();
    // A pod advertised by name, bound on every interface, found by DNS as an IP of this host.
    NodeId pod = new NodeId("pod-0", "pod-0.orders.svc", 7000, 1);
    Joiner dns = new Joiner(pod, "0.0.0.0", SeedResolver.dns("orders", 7000), RETRY);
    assertThat(dns.isSelf(new InetSocketAddress(InetAddress.getLoopbackAddress(), 7000))).isTrue();
    assertThat(dns.isSelf(new InetSocketAddress(InetAddress.getLoopbackAddress(), 7001))).isFalse();
  }
}
