package io.flock.membership.internal.transport;

import static java.util.Objects.requireNonNull;

import com.esotericsoftware.kryo.Kryo;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The transport's settings, validated at construction.
 *
 * @param cluster the cluster name both sides must share
 * @param secret the shared secret for the HMAC handshake, at least 16 bytes (copied)
 * @param maxFrameBytes the largest frame accepted after the handshake
 * @param handshakeFrameBytes the largest frame accepted before it
 * @param handshakeTimeout how long a connection may take to authenticate
 * @param connectTimeout TCP connect timeout
 * @param backoffMin first reconnect delay
 * @param backoffMax largest reconnect delay
 * @param maxQueuedPerPeer messages queued for a peer while connecting; beyond it sends fail
 * @param maxMessagesPerSecond a peer sending faster than this is disconnected as flooding
 * @param maxUnauthenticated accepted connections that have not finished their handshake; one more
 *     is closed at once (default 256); each must finish within {@code handshakeTimeout}
 * @param serverSsl TLS for accepted connections (mutual when it requires client auth), or null
 * @param clientSsl TLS for outgoing connections, or null
 * @param registrar registers every type above the transport's and the CRDT's on each Kryo
 * @param wireManifest what the registrar registers, one line per set; peers must match it
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out; never compared
public record TransportConfig(
    String cluster,
    byte[] secret,
    int maxFrameBytes,
    int handshakeFrameBytes,
    Duration handshakeTimeout,
    Duration connectTimeout,
    Duration backoffMin,
    Duration backoffMax,
    int maxQueuedPerPeer,
    int maxMessagesPerSecond,
    int maxUnauthenticated,
    @Nullable SslContext serverSsl,
    @Nullable SslContext clientSsl,
    Consumer<Kryo> registrar,
    List<String> wireManifest) {

  public TransportConfig {
    requireNonNull(cluster, "cluster");
    requireNonNull(secret, "secret");
    requireNonNull(handshakeTimeout, "handshakeTimeout");
    requireNonNull(connectTimeout, "connectTimeout");
    requireNonNull(backoffMin, "backoffMin");
    requireNonNull(backoffMax, "backoffMax");
    requireNonNull(registrar, "registrar");
    wireManifest = List.copyOf(wireManifest);
    if (cluster.isEmpty() || cluster.length() > 255) {
      throw new IllegalArgumentException("cluster must have 1 to 255 characters");
    }
    if (secret.length < 16) {
      throw new IllegalArgumentException(
          "secret must have at least 16 bytes, has " + secret.length);
    }
    secret = secret.clone();
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 1024, was " + maxFrameBytes);
    }
    if (handshakeFrameBytes < 256 || handshakeFrameBytes > maxFrameBytes) {
      throw new IllegalArgumentException(
          "handshakeFrameBytes must be 256 to maxFrameBytes, was " + handshakeFrameBytes);
    }
    positive(handshakeTimeout, "handshakeTimeout");
    positive(connectTimeout, "connectTimeout");
    positive(backoffMin, "backoffMin");
    if (backoffMax.compareTo(backoffMin) < 0) {
      throw new IllegalArgumentException("backoffMax must be >= backoffMin");
    }
    if (maxQueuedPerPeer < 1) {
      throw new IllegalArgumentException("maxQueuedPerPeer must be >= 1, was " + maxQueuedPerPeer);
    }
    if (maxUnauthenticated < 1) {
      throw new IllegalArgumentException(
          "maxUnauthenticated must be >= 1, was " + maxUnauthenticated);
    }
    if (maxMessagesPerSecond < 1) {
      throw new IllegalArgumentException(
          "maxMessagesPerSecond must be >= 1, was " + maxMessagesPerSecond);
    }
  }

  private static void positive(Duration d, String name) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  /** Defaults for a cluster name and secret: 16 MiB frames, 5 s handshake, no TLS. */
  public static TransportConfig defaults(String cluster, byte[] secret, Consumer<Kryo> registrar) {
    return new TransportConfig(
        cluster,
        secret,
        16 * 1024 * 1024,
        4096,
        Duration.ofSeconds(5),
        Duration.ofSeconds(2),
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        10_000,
        1_000_000,
        256,
        null,
        null,
        registrar,
        List.of());
  }

  public TransportConfig withTls(@Nullable SslContext server, @Nullable SslContext client) {
    return new TransportConfig(
        cluster,
        secret,
        maxFrameBytes,
        handshakeFrameBytes,
        handshakeTimeout,
        connectTimeout,
        backoffMin,
        backoffMax,
        maxQueuedPerPeer,
        maxMessagesPerSecond,
        maxUnauthenticated,
        server,
        client,
        registrar,
        wireManifest);
  }

  public TransportConfig withLimits(int maxFrame, int maxQueued, int maxRate, Duration handshake) {
    return new TransportConfig(
        cluster,
        secret,
        maxFrame,
        Math.min(handshakeFrameBytes, maxFrame),
        handshake,
        connectTimeout,
        backoffMin,
        backoffMax,
        maxQueued,
        maxRate,
        maxUnauthenticated,
        serverSsl,
        clientSsl,
        registrar,
        wireManifest);
  }

  /** The same settings with another cap on unauthenticated connections. */
  public TransportConfig withMaxUnauthenticated(int max) {
    return new TransportConfig(
        cluster,
        secret,
        maxFrameBytes,
        handshakeFrameBytes,
        handshakeTimeout,
        connectTimeout,
        backoffMin,
        backoffMax,
        maxQueuedPerPeer,
        maxMessagesPerSecond,
        max,
        serverSsl,
        clientSsl,
        registrar,
        wireManifest);
  }

  /** The same settings with another registrar and its manifest. */
  public TransportConfig withWireTypes(Consumer<Kryo> types, List<String> manifest) {
    return new TransportConfig(
        cluster,
        secret,
        maxFrameBytes,
        handshakeFrameBytes,
        handshakeTimeout,
        connectTimeout,
        backoffMin,
        backoffMax,
        maxQueuedPerPeer,
        maxMessagesPerSecond,
        maxUnauthenticated,
        serverSsl,
        clientSsl,
        types,
        manifest);
  }
}
