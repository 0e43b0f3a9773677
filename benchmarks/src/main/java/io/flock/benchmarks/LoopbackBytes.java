package io.flock.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * TCP payload bytes sent between nodes on loopback, read from the kernel ({@code ss -tin}) so Flock
 * and Pekko are measured through the same lens: every established socket with one end on a node's
 * cluster port counts the bytes it sent. Both ends of a connection live in this process, so the sum
 * covers both directions.
 */
final class LoopbackBytes {
  private LoopbackBytes() {}

  /** Whether {@code ss} is available (iproute2). */
  static boolean available() {
    return snapshot(Set.of()) != null;
  }

  /**
   * Bytes sent per socket (keyed by its address pair) by sockets touching {@code ports}, or null
   * when {@code ss} cannot be run.
   */
  static @Nullable Map<String, Long> snapshot(Set<Integer> ports) {
    String out;
    try {
      Process p =
          new ProcessBuilder("ss", "-tinH", "state", "established")
              .redirectErrorStream(true)
              .start();
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    Map<String, Long> sent = new HashMap<>();
    String socket = null;
    for (String line : out.lines().toList()) {
      if (!line.startsWith("\t") && !line.startsWith(" ")) {
        String[] f = line.trim().split("\\s+", -1);
        // Recv-Q Send-Q Local:Port Peer:Port
        socket =
            f.length >= 4 && (touches(f[2], ports) || touches(f[3], ports))
                ? f[2] + ">" + f[3]
                : null;
      } else if (socket != null) {
        int at = line.indexOf("bytes_sent:");
        if (at >= 0) {
          int end = at + "bytes_sent:".length();
          int stop = end;
          while (stop < line.length() && Character.isDigit(line.charAt(stop))) {
            stop++;
          }
          sent.put(socket, Long.parseLong(line.substring(end, stop)));
        } else {
          sent.putIfAbsent(socket, 0L);
        }
        socket = null;
      }
    }
    return sent;
  }

  /** Bytes sent between two snapshots (sockets opened meanwhile count from zero). */
  static long between(Map<String, Long> before, Map<String, Long> after) {
    long total = 0;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      total += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
    }
    return total;
  }

  private static boolean touches(String address, Set<Integer> ports) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return false;
    }
    try {
      return ports.contains(Integer.parseInt(address.substring(colon + 1)));
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
