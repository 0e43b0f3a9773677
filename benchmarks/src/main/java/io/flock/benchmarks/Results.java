package io.flock.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The side-by-side table of one run: per measure and node count, each system's median (lower is
 * better for every measure), written as {@code results.md} (with ratios to Flock) and {@code
 * chart.html} (a static page of bar charts, log scale) into a folder of its own per run.
 *
 * <p>Not thread-safe: one benchmark thread adds rows.
 */
final class Results {
  static final String FLOCK = "Flock";

  /** One measure: values by system label ({@code NaN}: not measured). */
  record Row(String measure, int nodes, String unit, Map<String, Double> values, String note) {}

  private final List<Row> rows = new ArrayList<>();
  private final List<String> systems = new ArrayList<>();
  private final List<String> sections = new ArrayList<>();
  private final String title;

  Results(String title) {
    this.title = title;
  }

  /** Adds a row; prints it at once so a long run shows progress. */
  void add(String measure, int nodes, String unit, Map<String, Double> values, String note) {
    for (String s : values.keySet()) {
      if (!systems.contains(s)) {
        systems.add(s);
      }
    }
    Row row = new Row(measure, nodes, unit, new LinkedHashMap<>(values), note);
    rows.add(row);
    System.out.println("  " + measure + " (" + nodes + " nodes): " + values + " " + unit);
  }

  /** Adds a free Markdown section after the table (for Flock-only numbers). */
  void section(String markdown) {
    sections.add(markdown);
  }

  List<Row> rows() {
    return rows;
  }

  /** The Markdown report. */
  String markdown(String environment) {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(title).append("\n\n").append(environment).append("\n\n");
    md.append("| measure | nodes |");
    for (String s : systems) {
      md.append(' ').append(s).append(" |");
    }
    for (String s : systems) {
      if (!s.equals(FLOCK)) {
        md.append(' ').append(s).append(" / Flock |");
      }
    }
    md.append(" note |\n|---|---|");
    md.append("---|".repeat(systems.size() * 2 - (systems.contains(FLOCK) ? 1 : 0)));
    md.append("---|\n");
    for (Row r : rows) {
      md.append("| ").append(r.measure()).append(" | ").append(r.nodes()).append(" |");
      for (String s : systems) {
        md.append(' ')
            .append(format(r.values().getOrDefault(s, Double.NaN), r.unit()))
            .append(" |");
      }
      double flock = r.values().getOrDefault(FLOCK, Double.NaN);
      for (String s : systems) {
        if (!s.equals(FLOCK)) {
          double v = r.values().getOrDefault(s, Double.NaN);
          md.append(' ')
              .append(
                  Double.isNaN(v) || Double.isNaN(flock) || flock == 0
                      ? "-"
                      : String.format(Locale.ROOT, "%.1fx", v / flock))
              .append(" |");
        }
      }
      md.append(' ').append(r.note()).append(" |\n");
    }
    for (String s : sections) {
      md.append('\n').append(s).append('\n');
    }
    return md.toString();
  }

  /** A static HTML page: one bar chart per row, log scale, values labelled. */
  String html(String environment) {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title><style>body{font-family:sans-serif;max-width:900px;margin:2em auto}")
        .append("h2{font-size:1em;margin:1.5em 0 .3em}text{font-size:12px}</style></head><body>")
        .append("<h1>")
        .append(escape(title))
        .append("</h1><p>")
        .append(escape(environment))
        .append(" Lower is better; bars on a log scale.</p>");
    String[] colours = {"#2b7bb9", "#e07b39", "#c0392b", "#7f8c8d", "#27ae60"};
    for (Row r : rows) {
      double max = 0;
      double min = Double.MAX_VALUE;
      for (double v : r.values().values()) {
        if (!Double.isNaN(v) && v > 0) {
          max = Math.max(max, v);
          min = Math.min(min, v);
        }
      }
      if (max == 0) {
        continue;
      }
      double lo = Math.log10(min) - 0.5;
      double hi = Math.log10(max) + 0.1;
      int barHeight = 22;
      int height = systems.size() * (barHeight + 6) + 10;
      h.append("<h2>")
          .append(escape(r.measure()))
          .append(", ")
          .append(r.nodes())
          .append(" nodes (")
          .append(escape(r.unit()))
          .append(")</h2><svg width=\"860\" height=\"")
          .append(height)
          .append("\">");
      int y = 5;
      for (int i = 0; i < systems.size(); i++) {
        String s = systems.get(i);
        double v = r.values().getOrDefault(s, Double.NaN);
        h.append("<text x=\"0\" y=\"")
            .append(y + 15)
            .append("\">")
            .append(escape(s))
            .append("</text>");
        if (!Double.isNaN(v) && v > 0) {
          double width = 560 * (Math.log10(v) - lo) / (hi - lo);
          h.append("<rect x=\"150\" y=\"")
              .append(y)
              .append("\" height=\"")
              .append(barHeight)
              .append("\" width=\"")
              .append(String.format(Locale.ROOT, "%.1f", Math.max(2, width)))
              .append("\" fill=\"")
              .append(colours[i % colours.length])
              .append("\"/><text x=\"")
              .append(String.format(Locale.ROOT, "%.1f", 156 + Math.max(2, width)))
              .append("\" y=\"")
              .append(y + 15)
              .append("\">")
              .append(escape(format(v, r.unit())))
              .append("</text>");
        } else {
          h.append("<text x=\"150\" y=\"").append(y + 15).append("\">not measured</text>");
        }
        y += barHeight + 6;
      }
      h.append("</svg>");
    }
    return h.append("</body></html>\n").toString();
  }

  /** Writes {@code results.md} and {@code chart.html} into a new folder under {@code root}. */
  Path write(Path root, String environment) throws IOException {
    String stamp =
        LocalDateTime.now(java.time.ZoneOffset.UTC)
            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = root.resolve(stamp);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("results.md"), markdown(environment), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("chart.html"), html(environment), StandardCharsets.UTF_8);
    return dir;
  }

  static String format(double v, String unit) {
    if (Double.isNaN(v)) {
      return "-";
    }
    if (v >= 100) {
      return String.format(Locale.ROOT, "%,.0f %s", v, unit);
    }
    return String.format(Locale.ROOT, "%.2f %s", v, unit);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
