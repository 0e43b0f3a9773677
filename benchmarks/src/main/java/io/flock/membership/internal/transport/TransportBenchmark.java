package io.flock.membership.internal.transport;

import io.flock.membership.TlsSettings;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Round-trip latency (p50/p99) and one-way throughput of small messages between two transports on
 * loopback, with and without mutual TLS. Lives in the transport's package because the transport is
 * not public API.
 *
 * <p>Run: {@code ./flock bench transport}.
 */
public final class TransportBenchmark {
  private static final byte[] SECRET =
      "benchmark secret, long enough".getBytes(StandardCharsets.UTF_8);

  private TransportBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.out.println("## Transport on loopback (2 nodes, 1 I/O thread each)");
    System.out.println("| wire | RTT p50 µs | RTT p99 µs | RTT p99.9 µs | one-way msgs/s |");
    System.out.println("|---|---|---|---|---|");
    run("plain", TransportConfig.defaults("bench", SECRET, k -> {}), false);
    // The least a child's ask crosses: the answer comes from a virtual thread that takes the
    // request from a queue (the child and its mailbox), not from the I/O thread that read it.
    run(
        "plain, answered by a virtual thread",
        TransportConfig.defaults("bench", SECRET, k -> {}),
        true);
    X509Bundle ca =
        new CertificateBuilder()
            .subject("CN=ca")
            .setIsCertificateAuthority(true)
            .ecp256()
            .buildSelfSigned();
    X509Bundle leaf =
        new CertificateBuilder()
            .subject("CN=node")
            .addSanIpAddress("127.0.0.1")
            .ecp256()
            .buildIssuedBy(ca);
    char[] password = "bench".toCharArray();
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.getCertificate());
    TlsSettings tls = TlsSettings.of(leaf.toKeyStore(password), password, trust);
    run(
        "mutual TLS",
        TlsContexts.apply(TransportConfig.defaults("bench", SECRET, k -> {}), tls),
        false);
  }

  private static void run(String label, TransportConfig config, boolean answeredByAThread)
      throws Exception {
    BlockingQueue<Object> pongs = new ArrayBlockingQueue<>(16);
    BlockingQueue<io.flock.membership.NodeId> inbox =
        new java.util.concurrent.LinkedBlockingQueue<>();
    AtomicReference<NettyTransport> bRef = new AtomicReference<>();
    AtomicReference<CountDownLatch> sink = new AtomicReference<>(new CountDownLatch(0));
    NettyTransport a =
        NettyTransport.start(
            "a", "127.0.0.1", 0, "127.0.0.1", 1, config, (from, body) -> pongs.add(body), 1);
    NettyTransport b =
        NettyTransport.start(
            "b",
            "127.0.0.1",
            0,
            "127.0.0.1",
            1,
            config,
            (from, body) -> {
              if (body instanceof String s && s.equals("ping")) {
                if (answeredByAThread) {
                  inbox.add(from);
                } else {
                  java.util.Objects.requireNonNull(bRef.get()).send(from, "pong");
                }
              } else {
                java.util.Objects.requireNonNull(sink.get()).countDown();
              }
            },
            1);
    bRef.set(b);
    Thread answerer =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    while (true) {
                      b.send(inbox.take(), "pong");
                    }
                  } catch (InterruptedException stop) {
                    // done
                  }
                });
    try {
      int warmup = 5_000;
      int rounds = 20_000;
      long[] rtt = new long[rounds];
      for (int i = -warmup; i < rounds; i++) {
        long t0 = System.nanoTime();
        a.send(b.self(), "ping");
        if (pongs.poll(5, TimeUnit.SECONDS) == null) {
          throw new IllegalStateException("no pong");
        }
        if (i >= 0) {
          rtt[i] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(rtt);
      int messages = 500_000;
      CountDownLatch done = new CountDownLatch(messages);
      sink.set(done);
      long t0 = System.nanoTime();
      int sent = 0;
      while (sent < messages) {
        if (a.isWritable(b.self())) {
          a.send(b.self(), 42);
          sent++;
        } else {
          Thread.onSpinWait();
        }
      }
      if (!done.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("lost messages: " + done.getCount());
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "| %s | %.1f | %.1f | %.1f | %,.0f |%n",
          label,
          rtt[rounds / 2] / 1e3,
          rtt[(int) (rounds * 0.99)] / 1e3,
          rtt[(int) (rounds * 0.999)] / 1e3,
          messages / seconds);
    } finally {
      answerer.interrupt();
      a.close();
      b.close();
    }
  }
}
