package io.switchyard.launcher.cli;

import io.switchyard.serverkit.tls.TlsOptions;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** TLS flags of a service's listeners: plaintext unless a certificate and key are given. */
public final class TlsOptionsMixin {
  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Server certificate chain (PEM).")
  Path cert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Server private key (PEM).")
  Path key;

  @Option(names = "--tls-client-ca", paramLabel = "PEM", description = "CA whose client certificates are accepted; turns on mutual TLS.")
  Path clientCa;

  public Optional<TlsOptions> tls() {
    return TlsOptions.fromFlags(cert, key, clientCa);
  }
}
