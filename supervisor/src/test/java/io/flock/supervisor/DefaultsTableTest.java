package io.flock.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: the supervisor's rows of the guide's table "Settings and their defaults" are the
 * builders' defaults (the membership rows are checked by the membership's {@code
 * DefaultsTableTest}, which also fails on a row nobody checks).
 */
class DefaultsTableTest {
  @Test
  void theSupervisorsDefaultsInTheGuidesTableAreTheBuilders() throws Exception {
    String guide = Files.readString(Path.of("..", "docs", "guide.md"), StandardCharsets.UTF_8);
    LocalSupervisor.Builder local = LocalSupervisor.builder("defaults");
    assertThat(row(guide, "restart intensity"))
        .startsWith(field(local, "maxRestarts") + " in " + seconds(field(local, "window")));
    try (TestCluster c =
        TestCluster.start(1, b -> b.wireTypes(DistributedSupervisor.wireTypes()))) {
      DistributedSupervisor.Builder b = DistributedSupervisor.builder("defaults", c.node(0));
      assertThat(row(guide, "call deadline / fencing margin"))
          .startsWith(
              seconds(field(b, "callTimeout")) + " / " + seconds(field(b, "fencingMargin")));
    }
  }

  /** The default cell of the row {@code setting} of the guide's table. */
  private static String row(String guide, String setting) {
    String section = guide.substring(guide.indexOf("## Settings and their defaults"));
    for (String line : section.lines().toList()) {
      String[] cells = line.split("\\|", -1);
      if (cells.length == 5 && cells[1].trim().equals(setting)) {
        return cells[2].trim();
      }
    }
    throw new AssertionError("no row " + setting + " in the guide's table");
  }

  private static Object field(Object owner, String name) throws Exception {
    Field f = owner.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(owner);
  }

  private static String seconds(Object d) {
    return ((Duration) d).toSeconds() + " s";
  }
}
