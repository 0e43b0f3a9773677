package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.membership.NodeId;
import io.flock.supervisor.DistributionStrategy.Rendezvous;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;

/**
 * Rendezvous weights are part of the wire contract: nodes of different versions must pick the same
 * claimer and target. The weight is pinned to its definition (FNV-1a over the UTF-8 bytes of {@code
 * id + '\u0000' + node}, then a finaliser), for any characters, surrogates included.
 */
class RendezvousProperties {

  private static long definition(String childId, String node) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (childId + '\u0000' + node).getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ b) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }

  @Property(tries = 500)
  void weightsFollowTheirDefinitionForAnyCharacters(
      @ForAll @CharRange(from = 0, to = 0xFFFF) String childId,
      @ForAll @Chars({'n', '1', 'é', '\uD83D', '\uDE00', '-'}) String node) {
    assertThat(Rendezvous.weight(childId, node)).isEqualTo(definition(childId, node));
  }

  @Property(tries = 200)
  void theBestIsTheNodeOfGreatestWeight(@ForAll @CharRange(from = 32, to = 0x2FF) String childId) {
    List<NodeId> live =
        List.of(
            new NodeId("n0", "127.0.0.1", 1, 1),
            new NodeId("n1", "127.0.0.1", 2, 1),
            new NodeId("né", "127.0.0.1", 3, 1));
    NodeId expected = live.get(0);
    for (NodeId n : live) {
      if (definition(childId, n.name()) > definition(childId, expected.name())) {
        expected = n;
      }
    }
    assertThat(Rendezvous.best(childId, live)).contains(expected);
  }
}
