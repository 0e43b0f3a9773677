package io.flock.cluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.flock.membership.Member;
import io.flock.registry.Registration;
import io.flock.singleton.Singleton;
import io.flock.singleton.SingletonStatus;
import io.flock.supervisor.ChildRef;
import io.flock.supervisor.ChildSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The test node's HTTP control and observation surface (the paths {@link NodeApp}'s class comment
 * lists), on virtual threads.
 */
final class NodeHttp {
  /** The child arguments a {@code POST /children} passes on. */
  static final List<String> CHILD_ARGS =
      List.of("effectEvery", "stopMillis", "sleepMillis", "saveEvery");

  private final NodeApp app;

  private NodeHttp(NodeApp app) {
    this.app = app;
  }

  static HttpServer start(NodeApp app, String host, int port) throws IOException {
    return new NodeHttp(app).startHttp(host, port);
  }

  private HttpServer startHttp(String host, int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/children", this::children);
    server.createContext("/names", this::names);
    server.createContext(
        "/conflicts", ex -> reply(ex, 200, lines(app.nameConflicts(), (String c) -> c)));
    server.createContext(
        "/local",
        ex ->
            reply(
                ex,
                200,
                lines(
                    app.supervisor().localChildren().join(),
                    c -> c.id() + " " + c.generation() + " " + c.state())));
    server.createContext(
        "/members",
        ex ->
            reply(
                ex,
                200,
                lines(
                    app.cluster().members().join(),
                    (Member m) -> m.id().name() + " " + m.status() + " " + m.reachable())));
    server.createContext(
        "/status",
        ex ->
            reply(
                ex,
                200,
                "node "
                    + app.cluster().self()
                    + "\nquorum "
                    + app.cluster().hasQuorum().join()
                    + "\n"));
    server.createContext("/singleton", this::singleton);
    server.createContext(
        "/ledger",
        ex -> {
          int from = Integer.parseInt(query(ex.getRequestURI()).getOrDefault("from", "0"));
          List<String> snapshot = app.ledger().lines();
          reply(
              ex,
              200,
              snapshot.subList(Math.min(from, snapshot.size()), snapshot.size()).stream()
                  .map(l -> l + "\n")
                  .collect(Collectors.joining()));
        });
    server.start();
    return server;
  }

  private void children(HttpExchange ex) throws IOException {
    if (ex.getRequestMethod().equals("POST")) {
      Map<String, String> q = query(ex.getRequestURI());
      int count = Integer.parseInt(q.getOrDefault("count", "1"));
      String prefix = q.getOrDefault("prefix", "child-");
      Map<String, String> args = new HashMap<>();
      for (String name : CHILD_ARGS) {
        if (q.containsKey(name)) {
          args.put(name, String.valueOf(Long.parseLong(q.get(name))));
        }
      }
      List<CompletableFuture<ChildRef>> starts = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        starts.add(app.supervisor().startChild(ChildSpec.of(prefix + i, "worker").withArgs(args)));
      }
      replyWithOutcomes(ex, "started", starts);
    } else {
      reply(
          ex,
          200,
          lines(
              app.supervisor().whichChildren().join(),
              (ChildRef r) -> r.id() + " " + r.node().name() + " " + r.generation()));
    }
  }

  /**
   * {@code POST /names?prefix=&count=}: registers {@code prefix0..} for the children running here,
   * round robin; {@code GET}: every name this node's replica knows, as {@code name child node
   * generation} lines.
   */
  private void names(HttpExchange ex) throws IOException {
    if (ex.getRequestMethod().equals("POST")) {
      Map<String, String> q = query(ex.getRequestURI());
      int count = Integer.parseInt(q.getOrDefault("count", "1"));
      String prefix = q.getOrDefault("prefix", "name-");
      List<ChildRef> here =
          app.supervisor().whichChildren().join().stream()
              .filter(r -> r.node().equals(app.cluster().self()))
              .toList();
      if (here.isEmpty()) {
        reply(ex, 409, "no children run here\n");
        return;
      }
      List<CompletableFuture<?>> writes = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        writes.add(app.registry().register(prefix + i, here.get(i % here.size())));
      }
      replyWithOutcomes(ex, "registered", writes);
    } else {
      reply(
          ex,
          200,
          lines(
              app.registry().select(r -> true),
              (Registration r) ->
                  r.name()
                      + " "
                      + r.ref().id()
                      + " "
                      + r.ref().node().name()
                      + " "
                      + r.ref().generation()));
    }
  }

  /**
   * Waits for every call (30 s each) and answers {@code "<done> <count ok>"} and a line per
   * failure: 200 when all succeeded, 409 otherwise.
   */
  private static void replyWithOutcomes(
      HttpExchange ex, String done, List<? extends CompletableFuture<?>> calls) throws IOException {
    int ok = 0;
    StringBuilder errors = new StringBuilder();
    for (CompletableFuture<?> f : calls) {
      try {
        f.get(30, TimeUnit.SECONDS);
        ok++;
      } catch (Exception e) {
        errors.append(e.getCause() != null ? e.getCause().getMessage() : e.toString()).append('\n');
      }
    }
    reply(ex, errors.isEmpty() ? 200 : 409, done + " " + ok + "\n" + errors);
  }

  private static <T> String lines(List<T> items, Function<T, String> line) {
    return items.stream().map(line).map(l -> l + "\n").collect(Collectors.joining());
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new HashMap<>();
    String q = uri.getRawQuery();
    if (q != null) {
      for (String kv : q.split("&", -1)) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
    }
    return out;
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private void singleton(HttpExchange ex) throws IOException {
    Singleton s = app.singleton();
    if (s == null) {
      reply(ex, 404, "no singleton here (FLOCK_SINGLETON=true runs one)\n");
      return;
    }
    SingletonStatus st = s.status().join();
    String leader = st.leader() == null ? "-" : st.leader().name();
    reply(ex, 200, "leader " + leader + " " + st.generation() + " local " + st.local() + "\n");
  }
}
