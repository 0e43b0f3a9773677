package io.flock;

import static org.assertj.core.api.Assertions.assertThat;

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
        .contains("flock-crdt", "flock-membership", "flock-supervisor", "flock-console")
        .doesNotContain("flock-benchmarks", "flock-test-cluster");
    assertThat(bom.getElementsByTagName("parent").getLength())
        .as("no parent: importing the BOM brings no third-party versions")
        .isZero();
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
