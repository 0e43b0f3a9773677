package io.flock.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.flock.testkit.TestCluster;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Mutual TLS through Flock's own {@link TlsSettings} (no Netty type in the API). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsClusterTest {
  static {
    NettyLeaks.install();
  }

  private static final char[] PASSWORD = "changeit".toCharArray();

  private static X509Bundle ca(String name) throws Exception {
    return new CertificateBuilder()
        .subject("CN=" + name)
        .setIsCertificateAuthority(true)
        .ecp256()
        .buildSelfSigned();
  }

  private static TlsSettings tls(X509Bundle ca, String node) throws Exception {
    X509Bundle leaf =
        new CertificateBuilder()
            .subject("CN=" + node)
            .addSanIpAddress("127.0.0.1")
            .ecp256()
            .buildIssuedBy(ca);
    return TlsSettings.files(
        leaf.toTempKeyStoreFile(PASSWORD).toPath(), PASSWORD, ca.toTempRootCertPem().toPath());
  }

  @Test
  void nodesWithCertificatesOfOneAuthorityFormAClusterAndAStrangerIsKeptOut() throws Exception {
    X509Bundle ca = ca("flock-ca");
    try (Cluster a =
            Cluster.builder("tls", "a").secret(TestCluster.secret()).tls(tls(ca, "a")).start();
        Cluster b =
            Cluster.builder("tls", "b")
                .secret(TestCluster.secret())
                .tls(tls(ca, "b"))
                .seeds(List.of(a.self().address()))
                .start()) {
      b.awaitMembers(2, Duration.ofSeconds(20)).join();
      X509Bundle other = ca("someone-else");
      try (Cluster stranger =
          Cluster.builder("tls", "stranger")
              .secret(TestCluster.secret())
              .tls(tls(other, "stranger"))
              .seeds(List.of(a.self().address()))
              .start()) {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        a.metrics().bindTo(meters);
        TestCluster.await(
            Duration.ofSeconds(20),
            () -> meters.get("flock.transport.refused").functionCounter().count() > 0,
            "a refused the stranger's TLS handshake");
        assertThat(a.members().join()).extracting(m -> m.id().name()).containsOnly("a", "b");
        assertThat(stranger.members().join()).hasSize(1);
      }
    }
  }
}
