package io.flock.membership.internal.transport;

import io.flock.membership.TlsSettings;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import javax.net.ssl.SSLException;

/** Flock's {@link TlsSettings} as Netty's contexts: mutual TLS in both directions. */
public final class TlsContexts {
  private TlsContexts() {}

  /** {@code config} with mutual TLS from {@code tls}. */
  public static TransportConfig apply(TransportConfig config, TlsSettings tls) {
    try {
      SslContext server =
          SslContextBuilder.forServer(tls.keyManagers())
              .trustManager(tls.trustManagers())
              .clientAuth(ClientAuth.REQUIRE)
              .build();
      SslContext client =
          SslContextBuilder.forClient()
              .keyManager(tls.keyManagers())
              .trustManager(tls.trustManagers())
              .build();
      return config.withTls(server, client);
    } catch (SSLException e) {
      throw new IllegalArgumentException("tls settings cannot be used: " + e.getMessage(), e);
    }
  }
}
