package io.flock.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flock.membership.NodeId;
import io.flock.supervisor.ChildRef;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A group's shared member list: reads that race changes never keep serving a list from before the
 * last change.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GroupMembersTest {
  private static final NodeId NODE = new NodeId("n0", "127.0.0.1", 1, 1);

  private static ChildRef ref(int i) {
    return new ChildRef("c-" + i, NODE, 1);
  }

  private static void join(GroupMembers g, int i, int count) {
    g.put(Membership.key("g", ref(i)), new Membership("g", ref(i), count));
  }

  @Test
  void aReadAfterAChangeSeesItAndUnchangedReadsShareOneList() {
    GroupMembers g = new GroupMembers();
    assertThat(g.refs()).isEmpty();
    join(g, 1, 2);
    List<ChildRef> first = g.refs();
    assertThat(first).containsExactly(ref(1), ref(1));
    assertThat(g.refs()).isSameAs(first);
    join(g, 2, 1);
    assertThat(g.refs()).containsExactlyInAnyOrder(ref(1), ref(1), ref(2));
    g.remove(Membership.key("g", ref(1)));
    assertThat(g.refs()).containsExactly(ref(2));
    assertThatThrownBy(() -> g.refs().add(ref(3)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void readersRacingChangesEndWithTheLastState() throws Exception {
    GroupMembers g = new GroupMembers();
    AtomicBoolean done = new AtomicBoolean();
    Thread[] readers = new Thread[3];
    for (int r = 0; r < readers.length; r++) {
      readers[r] =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (!done.get()) {
                      var unused = g.refs();
                    }
                  });
    }
    try {
      for (int i = 0; i < 20_000; i++) {
        join(g, i % 50, 1 + i % 3);
        if (i % 7 == 0) {
          g.remove(Membership.key("g", ref((i * 13) % 50)));
        }
        // The writer's own read after each change sees it, whatever the readers cached.
        String key = Membership.key("g", ref(i % 50));
        Membership now = g.get(key);
        long expected = now == null ? 0 : now.count();
        assertThat(g.refs().stream().filter(ref(i % 50)::equals).count()).isEqualTo(expected);
      }
    } finally {
      done.set(true);
      for (Thread t : readers) {
        t.join();
      }
    }
    int total = 0;
    for (int i = 0; i < 50; i++) {
      Membership m = g.get(Membership.key("g", ref(i)));
      total += m == null ? 0 : m.count();
    }
    assertThat(g.refs()).hasSize(total);
  }
}
