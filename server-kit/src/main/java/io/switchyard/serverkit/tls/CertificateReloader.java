package io.switchyard.serverkit.tls;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.time.Duration;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * A listener's TLS material that follows its PEM files without a restart: the key and trust managers it
 * hands out delegate to the material last loaded, so new handshakes get a rotated certificate (or client
 * CA) while the listener and its open connections stay. The files are compared by content, read through
 * their path, so cert-manager's and Kubernetes' swap of a {@code ..data} symlink is seen as well as an
 * edit in place or a rename over the file. New material that does not load (unreadable, half written, a
 * key that does not match the certificate) is refused with one log line and counted in
 * {@code switchyard_tls_reload_total{cert,client_ca,result="failure"}}; the material in use stays.
 *
 * <p>A handle from {@link CertificateRegistry#acquire}: listeners of one registry that name the same files
 * share the material, its polling and its counts.
 */
public final class CertificateReloader implements AutoCloseable {
  /** How often listeners look at their certificate files. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(10);

  private final CertificateSet set;
  private final CertificateRegistry registry;
  private boolean closed;

  CertificateReloader(CertificateSet set, CertificateRegistry registry) {
    this.set = set;
    this.registry = registry;
  }

  /**
   * Looks at the files every {@link CertificateRegistry#pollInterval()} from now on (unless another handle on
   * the same files already does) until the last handle closes.
   */
  public synchronized CertificateReloader watch() {
    if (!closed) {
      set.watch(registry.pollInterval());
    }
    return this;
  }

  /**
   * Loads the files now if their content changed since the last attempt by any listener on them. True when
   * new material was swapped in; false when nothing changed or the new files are not usable (the material
   * in use stays).
   */
  public boolean reloadNow() {
    return set.reloadNow();
  }

  /** The files as the first listener on them named them. */
  public TlsOptions options() {
    return set.options;
  }

  /** gRPC credentials whose certificate and client CA follow the files. */
  public ServerCredentials grpcCredentials() {
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(set.keys);
    if (set.trust != null) {
      b.trustManager(set.trust).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return b.build();
  }

  /** A JDK SSLContext (HTTPS listeners) whose certificate and client CA follow the files. */
  public SSLContext sslContext() throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {set.keys}, set.trust == null ? null : new TrustManager[] {set.trust}, null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot create a TLS context: " + e.getMessage(), e);
    }
  }

  /** This listener is done with the files; the last handle on them stops their polling. Closing again does nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      registry.release(set);
    }
  }

  /** The material shared by the handles on the same files (tests). */
  CertificateSet set() {
    return set;
  }
}
