package io.flock.membership.internal.join;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.NodeId;
import io.flock.membership.SeedResolver;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class JoinerTest {
  private static final NodeId SELF = new NodeId("a", "127.0.0.1", 7000, 1);

  @Test
  void recognisesItsOwnAddressUnderItsNames() {
    Joiner j = new Joiner(SELF, "0.0.0.0", SeedResolver.of(List.of()));
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("127.0.0.1", 7000))).isTrue();
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("localhost", 7000))).isTrue();
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("0.0.0.0", 7000))).isTrue();
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("127.0.0.1", 7001))).isFalse();
    assertThat(j.isSelf(InetSocketAddress.createUnresolved("10.1.1.1", 7000))).isFalse();
  }
}
