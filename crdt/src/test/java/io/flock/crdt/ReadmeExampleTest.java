package io.flock.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's example, compiled and asserted. Keep the two in step. */
class ReadmeExampleTest {
  @Test
  void readmeExample() {
    AWLWWMap<String, String> a =
        new AWLWWMap<>(new ReplicaId("node-a", 1), new Hlc(System::currentTimeMillis));
    AWLWWMap<String, String> b =
        new AWLWWMap<>(new ReplicaId("node-b", 1), new Hlc(System::currentTimeMillis));
    Delta<String, String> delta = a.put("child-1", "node-a"); // every mutator returns a delta
    List<Change<String, String>> changes = b.join(delta); // join reports exactly what changed

    assertThat(changes).containsExactly(new Change.Added<>("child-1", "node-a"));
    assertThat(b.get("child-1")).isEqualTo("node-a");
  }
}
