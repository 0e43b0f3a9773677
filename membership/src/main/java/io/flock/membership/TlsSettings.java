package io.flock.membership;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Mutual TLS between nodes: this node's key and certificate chain, and the certificates it trusts
 * for its peers. Both directions use them: a node accepts only peers whose certificate its trust
 * store validates, and presents its own when it dials. The HMAC handshake still runs inside TLS.
 * Immutable.
 */
public final class TlsSettings {
  private final KeyManagerFactory keys;
  private final TrustManagerFactory trust;

  private TlsSettings(KeyManagerFactory keys, TrustManagerFactory trust) {
    this.keys = keys;
    this.trust = trust;
  }

  /**
   * From key stores.
   *
   * @param keyStore this node's private key and certificate chain
   * @param password the key's password
   * @param trustStore the certificates (usually one CA) peers must chain to
   * @throws IllegalArgumentException if a store cannot be used
   */
  public static TlsSettings of(KeyStore keyStore, char[] password, KeyStore trustStore) {
    requireNonNull(keyStore, "keyStore");
    requireNonNull(password, "password");
    requireNonNull(trustStore, "trustStore");
    try {
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keyStore, password);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trustStore);
      return new TlsSettings(kmf, tmf);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "keyStore/trustStore cannot be used: " + e.getMessage(), e);
    }
  }

  /**
   * From PEM files: a PKCS#12 key store file holding the key and chain is the portable choice; for
   * PEM, pass a PKCS#12 or PKCS#8 file through {@link #of}. This reads the trusted certificates
   * (one or more {@code -----BEGIN CERTIFICATE-----} blocks) from {@code trustedCerts} and the key
   * from a PKCS#12 file.
   *
   * @param pkcs12 this node's key and chain as a PKCS#12 file
   * @param password its password
   * @param trustedCerts PEM certificates peers must chain to
   * @throws IllegalArgumentException naming the file that cannot be read
   */
  public static TlsSettings files(Path pkcs12, char[] password, Path trustedCerts) {
    requireNonNull(pkcs12, "pkcs12");
    requireNonNull(password, "password");
    requireNonNull(trustedCerts, "trustedCerts");
    KeyStore keys;
    try (InputStream in = Files.newInputStream(pkcs12)) {
      keys = KeyStore.getInstance("PKCS12");
      keys.load(in, password);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "pkcs12 " + pkcs12 + " cannot be read: " + e.getMessage(), e);
    }
    KeyStore trust;
    try (InputStream in = Files.newInputStream(trustedCerts)) {
      trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("trusted-" + i++, c);
      }
      if (i == 0) {
        throw new IllegalArgumentException(
            "trustedCerts " + trustedCerts + " holds no certificate");
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "trustedCerts " + trustedCerts + " cannot be read: " + e.getMessage(), e);
    }
    return of(keys, password, trust);
  }

  /** This node's keys (JDK type). */
  public KeyManagerFactory keyManagers() {
    return keys;
  }

  /** The peers' trust anchors (JDK type). */
  public TrustManagerFactory trustManagers() {
    return trust;
  }
}
