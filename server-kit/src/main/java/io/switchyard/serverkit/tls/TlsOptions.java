package io.switchyard.serverkit.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * TLS for a listener from PEM files: the server's certificate chain and private key, and optionally a
 * client CA. With a client CA the listener requires mutual TLS: a client without a certificate signed
 * by that CA is refused during the handshake. Servers built with these options reload the files when their
 * content changes ({@link CertificateReloader}).
 */
public record TlsOptions(Path certChain, Path privateKey, Path clientCa) {

  public TlsOptions {
    Objects.requireNonNull(certChain, "certChain");
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /**
   * Builds options from the three command-line flags, where each may be absent: no cert and no key means
   * plaintext; one without the other, or a client CA without both, is an error naming the flag.
   */
  public static Optional<TlsOptions> fromFlags(Path cert, Path key, Path clientCa) {
    if (cert == null && key == null) {
      if (clientCa != null) {
        throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
      }
      return Optional.empty();
    }
    if (cert == null) {
      throw new IllegalArgumentException("--tls-key needs --tls-cert");
    }
    if (key == null) {
      throw new IllegalArgumentException("--tls-cert needs --tls-key");
    }
    for (Path p : new Path[] {cert, key, clientCa}) {
      if (p != null && !Files.isReadable(p)) {
        throw new IllegalArgumentException("cannot read " + p);
      }
    }
    return Optional.of(new TlsOptions(cert, key, clientCa));
  }

  public boolean mutual() {
    return clientCa != null;
  }

  /**
   * A JDK SSLContext for these options, read once (e.g. a test client's). {@code GrpcServer} and
   * {@code HttpServerKit} use a {@link CertificateReloader} instead, which follows the files as they change.
   */
  public SSLContext sslContext() throws IOException {
    return PemSslContexts.server(certChain, privateKey, clientCa);
  }
}
