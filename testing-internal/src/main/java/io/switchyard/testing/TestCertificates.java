package io.switchyard.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for TLS tests: a CA, a server certificate for localhost/127.0.0.1 and a client
 * certificate with a SPIFFE URI SAN, all signed by the CA and written as PEM files.
 */
public record TestCertificates(Path caCert, Path caKey, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {
  public static final String DEFAULT_CLIENT_SPIFFE_ID = "spiffe://cluster.local/ns/default/sa/client";

  public static TestCertificates create(Path dir) {
    return create(dir, DEFAULT_CLIENT_SPIFFE_ID);
  }

  public static TestCertificates create(Path dir, String clientSpiffeId) {
    try {
      Files.createDirectories(dir);
      KeyPair ca = keyPair();
      X500Name caName = new X500Name("CN=Switchyard Test CA");
      X509Certificate caCert = sign(caName, ca, caName, ca, true, null);
      KeyPair server = keyPair();
      X509Certificate serverCert = sign(caName, ca, new X500Name("CN=localhost"), server, false,
          new GeneralNames(new GeneralName[] {
              new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
      KeyPair client = keyPair();
      X509Certificate clientCert = sign(caName, ca, new X500Name("CN=client"), client, false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, clientSpiffeId)));
      TestCertificates out = new TestCertificates(dir.resolve("ca.pem"), dir.resolve("ca-key.pem"),
          dir.resolve("server.pem"), dir.resolve("server-key.pem"), dir.resolve("client.pem"), dir.resolve("client-key.pem"));
      write(out.caCert, caCert);
      write(out.caKey, ca.getPrivate());
      write(out.serverCert, serverCert);
      write(out.serverKey, server.getPrivate());
      write(out.clientCert, clientCert);
      write(out.clientKey, client.getPrivate());
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A certificate for {@code spiffeId} signed by a different CA than the one the server trusts. */
  public static TestCertificates createUntrusted(Path dir, String clientSpiffeId) {
    return create(dir, clientSpiffeId);
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256, new SecureRandom());
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X500Name issuer, KeyPair issuerKeys, X500Name subject, KeyPair subjectKeys,
      boolean ca, GeneralNames sans) throws IOException, GeneralSecurityException, OperatorCreationException {
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    b.addExtension(Extension.keyUsage, true, ca
        ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
        : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    if (sans != null) {
      b.addExtension(Extension.subjectAlternativeName, false, sans);
    }
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static void write(Path file, Object pemObject) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(pemObject instanceof java.security.PrivateKey k
          ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null).generate() : pemObject);
    }
    Files.writeString(file, s.toString());
  }
}
