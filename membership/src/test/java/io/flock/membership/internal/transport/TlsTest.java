package io.flock.membership.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flock.membership.NettyLeaks;
import io.flock.membership.TlsSettings;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsTest {
  static {
    NettyLeaks.install();
  }

  @AfterAll
  static void noLeaks() {
    NettyLeaks.assertNoLeaks();
  }

  static TransportConfig tls(X509Bundle ca, X509Bundle node) throws Exception {
    char[] password = "test".toCharArray();
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.getCertificate());
    return TlsContexts.apply(
        TestNodes.config(), TlsSettings.of(node.toKeyStore(password), password, trust));
  }

  static X509Bundle ca(String name) throws Exception {
    return new CertificateBuilder()
        .subject("CN=" + name)
        .setIsCertificateAuthority(true)
        .ecp256()
        .buildSelfSigned();
  }

  static X509Bundle leaf(X509Bundle ca, String name) throws Exception {
    return new CertificateBuilder()
        .subject("CN=" + name)
        .addSanIpAddress("127.0.0.1")
        .addSanDnsName("localhost")
        .ecp256()
        .buildIssuedBy(ca);
  }

  @Test
  void mutualTlsCarriesMessagesAndRefusesStrangers() throws Exception {
    X509Bundle ca = ca("flock-test-ca");
    try (TestNodes nodes = new TestNodes()) {
      TestNodes.Inbox inboxB = new TestNodes.Inbox();
      NettyTransport a = nodes.start("a", tls(ca, leaf(ca, "a")), new TestNodes.Inbox(), 1);
      NettyTransport b = nodes.start("b", tls(ca, leaf(ca, "b")), inboxB, 1);
      a.send(b.self(), "over tls");
      TestNodes.Received r = inboxB.messages.poll(10, TimeUnit.SECONDS);
      assertThat(r).isNotNull();
      assertThat(r.body()).isEqualTo("over tls");

      X509Bundle otherCa = ca("someone-else");
      NettyTransport stranger =
          nodes.start(
              "stranger", tls(otherCa, leaf(otherCa, "stranger")), new TestNodes.Inbox(), 1);
      stranger.send(b.self(), "let me in");
      await()
          .pollDelay(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> inboxB.messages.isEmpty());
      assertThat(inboxB.messages).isEmpty();
    }
  }
}
