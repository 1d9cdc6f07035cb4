package io.switchyard.serverkit.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Builds JDK SSLContexts from PEM files (PKCS#8, PKCS#1 and SEC1 keys), as gRPC's TLS does. */
final class PemSslContexts {
  private static final char[] NO_PASSWORD = new char[0];

  private PemSslContexts() {}

  static SSLContext server(Path certChain, Path privateKey, Path clientCa) throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {keyManager(certChain, privateKey)},
          clientCa == null ? null : new TrustManager[] {trustManager(clientCa)}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("invalid TLS material (" + certChain + ", " + privateKey + "): " + e.getMessage(), e);
    }
  }

  /** A key manager for the chain and its key; a key that does not belong to the chain's first certificate is an error. */
  static X509ExtendedKeyManager keyManager(Path certChain, Path privateKey) throws IOException {
    try {
      Certificate[] chain = readCerts(certChain).toArray(new Certificate[0]);
      PrivateKey key = readKey(privateKey);
      if (!matches(key, chain[0])) {
        throw new IOException("the private key " + privateKey + " does not belong to the certificate " + certChain);
      }
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("server", key, NO_PASSWORD, chain);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, NO_PASSWORD);
      for (KeyManager km : kmf.getKeyManagers()) {
        if (km instanceof X509ExtendedKeyManager x) {
          return x;
        }
      }
      throw new IOException("no X.509 key manager for " + certChain);
    } catch (GeneralSecurityException e) {
      throw new IOException("invalid TLS material (" + certChain + ", " + privateKey + "): " + e.getMessage(), e);
    }
  }

  /** A trust manager that accepts certificates signed by the CAs in {@code caBundle}. */
  static X509ExtendedTrustManager trustManager(Path caBundle) throws IOException {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (Certificate c : readCerts(caBundle)) {
        trust.setCertificateEntry("ca" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
      throw new IOException("no X.509 trust manager for " + caBundle);
    } catch (GeneralSecurityException e) {
      throw new IOException("invalid client CA " + caBundle + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code key} signs what the certificate's public key verifies; true for key types other than EC and RSA. */
  private static boolean matches(PrivateKey key, Certificate cert) throws GeneralSecurityException {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> null;
    };
    if (algorithm == null) {
      return true;
    }
    if (!key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())) {
      return false;
    }
    byte[] probe = "switchyard key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(cert.getPublicKey());
    verifier.update(probe);
    return verifier.verify(signature);
  }

  static Collection<? extends Certificate> readCerts(Path pem) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IOException("no certificate in " + pem);
      }
      return certs;
    }
  }

  static PrivateKey readKey(Path pem) throws IOException {
    try (Reader r = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(r)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      // Skips what may come before the key, e.g. the "EC PARAMETERS" block `openssl ecparam -genkey` writes.
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
      }
      throw new IOException("no unencrypted private key in " + pem);
    }
  }
}
