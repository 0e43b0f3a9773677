package io.flock;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What a project depending on Flock relies on (issue 21): the README's Java snippets compile
 * against the library, and the BOM lists every library artifact at the build's version and nothing
 * that is not published.
 */
class ArtifactsTest {
  private static final Path ROOT = Path.of("..");

  @Test
  void everyJavaSnippetOfTheReadmeCompiles() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    List<String> snippets = new ArrayList<>();
    while (m.find()) {
      snippets.add(m.group(1));
    }
    assertThat(snippets).as("the README's Java snippets").hasSizeGreaterThanOrEqualTo(2);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    for (int i = 0; i < snippets.size(); i++) {
      String name = "ReadmeSnippet" + i;
      String source =
          "import io.flock.crdt.*;\n"
              + "import io.flock.membership.*;\n"
              + "import io.flock.supervisor.*;\n"
              + "import java.util.*;\n"
              + "class "
              + name
              + " {\n  static void run(byte[] secret) throws Exception {\n"
              + snippets.get(i)
              + "\n  }\n}\n";
      DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
      JavaFileObject file =
          new SimpleJavaFileObject(
              URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
              return source;
            }
          };
      Path out = Files.createTempDirectory("readme");
      boolean ok =
          javac
              .getTask(
                  null,
                  null,
                  diagnostics,
                  List.of(
                      "-proc:none",
                      "-d",
                      out.toString(),
                      "-classpath",
                      System.getProperty("java.class.path")),
                  null,
                  List.of(file))
              .call();
      List<String> errors = new ArrayList<>();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        if (d.getKind() == Diagnostic.Kind.ERROR) {
          errors.add("line " + (d.getLineNumber() - 5) + ": " + d.getMessage(null));
        }
      }
      assertThat(errors).as("README snippet " + (i + 1) + ":\n" + snippets.get(i)).isEmpty();
      assertThat(ok).isTrue();
    }
  }

  @Test
  void theBomListsEveryLibraryArtifactAtTheBuildsVersion() throws Exception {
    Document parent = parse(ROOT.resolve("pom.xml"));
    Document bom = parse(Path.of("bom", "pom.xml"));
    String version = text(parent.getDocumentElement(), "version");
    assertThat(text(bom.getDocumentElement(), "version")).isEqualTo(version);
    List<String> managed = new ArrayList<>();
    NodeList deps = bom.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      assertThat(text(d, "version")).as(text(d, "artifactId")).isEqualTo(version);
      managed.add(text(d, "artifactId"));
    }
    assertThat(managed)
        .contains(
            "flock-crdt", "flock-membership", "flock-supervisor", "flock-console", "flock-testkit")
        .doesNotContain("flock-benchmarks", "flock-test-cluster");
    assertThat(bom.getElementsByTagName("parent").getLength())
        .as("no parent: importing the BOM brings no third-party versions")
        .isZero();
  }

  /**
   * Issue 21: the testkit a user's tests depend on carries no test classes of Flock's own and no
   * logging configuration (the old membership test-jar shipped a {@code simplelogger.properties} at
   * WARN that shadowed the user's).
   */
  @Test
  void theTestkitCarriesTheClusterKitAndNoTestsOrLoggingConfiguration() throws Exception {
    Path where =
        Path.of(TestCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> entries = new ArrayList<>();
    if (Files.isDirectory(where)) {
      try (var files = Files.walk(where)) {
        files
            .filter(Files::isRegularFile)
            .forEach(f -> entries.add(where.relativize(f).toString()));
      }
    } else {
      try (var jar = new java.util.jar.JarFile(where.toFile())) {
        jar.stream().filter(e -> !e.isDirectory()).forEach(e -> entries.add(e.getName()));
      }
    }
    assertThat(entries)
        .as("the testkit at " + where)
        .contains("io/flock/testkit/TestCluster.class", "io/flock/testkit/sim/SimCluster.class")
        .noneMatch(e -> e.endsWith("Test.class") || e.endsWith("Properties.class"))
        .noneMatch(e -> e.contains("simplelogger") || e.contains("logback"));
  }

  private static Document parse(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  /** The text of {@code element}'s direct child {@code tag}. */
  private static String text(Element element, String tag) {
    NodeList children = element.getChildNodes();
    for (int i = 0; i < children.getLength(); i++) {
      if (children.item(i) instanceof Element e && e.getTagName().equals(tag)) {
        return e.getTextContent().trim();
      }
    }
    throw new AssertionError("no <" + tag + "> in <" + element.getTagName() + ">");
  }
}
