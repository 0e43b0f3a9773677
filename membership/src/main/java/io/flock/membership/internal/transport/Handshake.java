package io.flock.membership.internal.transport;

import io.flock.membership.NodeId;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual authentication by a shared secret, as an HMAC-SHA256 challenge-response in which no secret
 * travels:
 *
 * <pre>
 *  client                                   server
 *    Hello(cluster, version, id_c, n_c)  ──►  check cluster, version, n_c unseen
 *                                        ◄──  Challenge(id_s, n_s, mac_s)
 *    check mac_s, n_s unseen                  mac_s = HMAC(k, "server" c n_c n_s id_s id_c)
 *    Proof(mac_c)                        ──►  check mac_c
 *      mac_c = HMAC(k, "client" c n_s n_c id_c id_s)
 *                                        ◄──  Accepted
 * </pre>
 *
 * Both MACs bind both nonces and both identities, so a recorded handshake cannot be replayed
 * against a fresh nonce, and a man in the middle cannot splice two sessions; nonces are also
 * remembered for a while so a replayed Hello or Challenge is refused outright.
 */
final class Handshake {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Handshake() {}

  static byte[] nonce() {
    byte[] nonce = new byte[Wire.NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  static byte[] mac(
      byte[] secret,
      String role,
      String cluster,
      byte[] firstNonce,
      byte[] secondNonce,
      NodeId first,
      NodeId second) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeUTF(role);
      out.writeUTF(cluster);
      out.write(firstNonce);
      out.write(secondNonce);
      writeId(out, first);
      writeId(out, second);
      out.flush();
      return mac.doFinal(bytes.toByteArray());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeId(DataOutputStream out, NodeId id) throws IOException {
    out.writeUTF(id.name());
    out.writeUTF(id.host());
    out.writeInt(id.port());
    out.writeLong(id.incarnation());
  }

  /** Constant-time comparison. */
  static boolean same(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }
}
