package io.switchyard.extauthz.authn;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Set;

/**
 * EdDSA (Ed25519) signatures, as Envoy's jwt_authn accepts them, verified with the JDK's own Ed25519
 * (Java 15+). nimbus-jose-jwt's Ed25519Verifier needs Google Tink, which this build does not carry.
 */
final class Ed25519JwsVerifier implements JWSVerifier {
  /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519 (OID 1.3.101.112); the 32 key bytes follow. */
  private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

  private final PublicKey key;
  private final JCAContext jca = new JCAContext();

  private Ed25519JwsVerifier(PublicKey key) {
    this.key = key;
  }

  /** A verifier for a public Ed25519 OKP key; null for other curves, which Envoy does not accept either. */
  static Ed25519JwsVerifier of(OctetKeyPair okp) throws JOSEException {
    if (!Curve.Ed25519.equals(okp.getCurve())) {
      return null;
    }
    byte[] x = okp.getDecodedX();
    if (x.length != 32) {
      throw new JOSEException("Ed25519 key " + okp.getKeyID() + " has " + x.length + " bytes, expected 32");
    }
    byte[] spki = new byte[SPKI_PREFIX.length + 32];
    System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
    System.arraycopy(x, 0, spki, SPKI_PREFIX.length, 32);
    try {
      return new Ed25519JwsVerifier(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
    } catch (GeneralSecurityException e) {
      throw new JOSEException("Ed25519 key " + okp.getKeyID() + " is not usable: " + e.getMessage(), e);
    }
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    return ALGORITHMS;
  }

  @Override
  public JCAContext getJCAContext() {
    return jca;
  }

  @Override
  public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
    if (!ALGORITHMS.contains(header.getAlgorithm())) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(signingInput);
      return s.verify(signature.decode());
    } catch (GeneralSecurityException e) {
      // A malformed signature (wrong length, bad point) is an invalid token, not an internal error.
      return false;
    }
  }
}
