package io.flock.membership.internal.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.NodeId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageRouterTest {
  private static final NodeId FROM = new NodeId("peer", "127.0.0.1", 7000, 1);

  record Known(int n) {}

  record Unknown() {}

  @Test
  void routesByTypeDropsAndCountsUnknownTypesAndContainsThrowingHandlers() {
    MessageRouter router = new MessageRouter("n0");
    List<Integer> seen = new ArrayList<>();
    router.register(Known.class, (from, k) -> seen.add(k.n()));
    router.register(
        String.class,
        (from, s) -> {
          throw new IllegalStateException("bug in a handler");
        });
    router.route(FROM, new Known(1));
    router.route(FROM, new Unknown());
    router.route(FROM, new Unknown());
    router.route(FROM, "boom");
    router.route(FROM, new Known(2));
    assertThat(seen).containsExactly(1, 2);
    assertThat(router.unknownCount()).isEqualTo(2);
    assertThat(router.failureCount()).isEqualTo(1);
  }

  @Test
  void aTypeHasOneRow() {
    MessageRouter router = new MessageRouter("n0");
    router.register(Known.class, (from, k) -> {});
    assertThatThrownBy(() -> router.register(Known.class, (from, k) -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Known");
  }
}
