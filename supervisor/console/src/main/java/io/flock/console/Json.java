package io.flock.console;

/**
 * The little JSON the console writes: strings escaped by RFC 8259's rules, everything else appended
 * by the callers. No parser: the page reads it, and the reports of other nodes are embedded as the
 * JSON their consoles wrote.
 *
 * <p>Threading: a value; {@link StringBuilder}s are the callers'.
 */
final class Json {
  private Json() {}

  /** Appends {@code s} as a JSON string. */
  static StringBuilder string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }

  /** Appends {@code members} as an array of {name, incarnation, status, reachable}. */
  static StringBuilder members(
      StringBuilder out, java.util.List<io.flock.membership.Member> members) {
    out.append('[');
    boolean first = true;
    for (io.flock.membership.Member m : members) {
      out.append(first ? "{" : ",{");
      first = false;
      key(out, "name");
      string(out, m.id().name()).append(',');
      key(out, "incarnation").append(m.id().incarnation()).append(',');
      key(out, "status");
      string(out, m.status().name()).append(',');
      key(out, "reachable").append(m.reachable()).append('}');
    }
    return out.append(']');
  }

  /** {@code "name":} */
  static StringBuilder key(StringBuilder out, String name) {
    return string(out, name).append(':');
  }
}
