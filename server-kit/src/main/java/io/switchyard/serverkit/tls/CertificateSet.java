package io.switchyard.serverkit.tls;

import io.switchyard.serverkit.tls.SwitchingManagers.SwitchingKeyManager;
import io.switchyard.serverkit.tls.SwitchingManagers.SwitchingTrustManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One distinct set of PEM files (certificate chain, key, optional client CA) and the material last loaded
 * from it, shared by every listener of a {@link CertificateRegistry} that names the same files: the files
 * are read, polled and counted once however many listeners serve them.
 */
final class CertificateSet {
  private static final Logger log = LoggerFactory.getLogger(CertificateSet.class);

  final TlsOptions options;
  final SwitchingKeyManager keys;
  /** Null without a client CA. */
  final SwitchingTrustManager trust;
  private final CertificateRegistry registry;
  /** Listeners holding this set; guarded by the registry. */
  int users;
  private byte[] lastSeen;
  private ScheduledFuture<?> poll;

  private CertificateSet(TlsOptions options, CertificateRegistry registry, X509ExtendedKeyManager km,
      X509ExtendedTrustManager tm, byte[] seen) {
    this.options = options;
    this.registry = registry;
    this.keys = new SwitchingKeyManager(km);
    this.trust = tm == null ? null : new SwitchingTrustManager(tm);
    this.lastSeen = seen;
  }

  /** Reads the files (counted as a load), throwing when they are not usable. */
  static CertificateSet load(TlsOptions options, CertificateRegistry registry) throws IOException {
    byte[] seen = fingerprint(options);
    try {
      CertificateSet s = new CertificateSet(options, registry,
          PemSslContexts.keyManager(options.certChain(), options.privateKey()),
          options.clientCa() == null ? null : PemSslContexts.trustManager(options.clientCa()), seen);
      registry.count(options, "success");
      return s;
    } catch (IOException | RuntimeException e) {
      registry.count(options, "failure");
      throw e;
    }
  }

  /** See {@link CertificateReloader#reloadNow}. */
  synchronized boolean reloadNow() {
    byte[] now = fingerprint(options);
    if (MessageDigest.isEqual(now, lastSeen)) {
      return false;
    }
    lastSeen = now;
    try {
      X509ExtendedKeyManager km = PemSslContexts.keyManager(options.certChain(), options.privateKey());
      X509ExtendedTrustManager tm = trust == null ? null : PemSslContexts.trustManager(options.clientCa());
      keys.delegate = km;
      if (tm != null) {
        trust.delegate = tm;
      }
      registry.count(options, "success");
      log.info("TLS certificate reloaded from {}", options.certChain());
      return true;
    } catch (IOException | RuntimeException e) {
      registry.count(options, "failure");
      String why = e instanceof NoSuchFileException ? "no such file " + e.getMessage() : e.getMessage();
      log.warn("TLS certificate reload from {} refused, the certificate in use stays: {}", options.certChain(), why);
      return false;
    }
  }

  /** Starts polling unless it already runs: the first listener to ask sets the interval. */
  synchronized void watch(Duration interval) {
    if (poll == null && !interval.isZero() && !interval.isNegative()) {
      poll = registry.schedule(this::pollOnce, interval);
    }
  }

  synchronized void stopWatching() {
    if (poll != null) {
      poll.cancel(false);
      poll = null;
    }
  }

  private void pollOnce() {
    try {
      reloadNow();
    } catch (RuntimeException e) {
      log.error("TLS certificate reload from {} failed unexpectedly", options.certChain(), e);
    }
  }

  private static byte[] fingerprint(TlsOptions o) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path p : new Path[] {o.certChain(), o.privateKey(), o.clientCa()}) {
        if (p != null) {
          digest.update(readOrEmpty(p));
          digest.update((byte) 0);
        }
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readOrEmpty(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      // Missing or unreadable for now: the load that follows says why, and the next change is seen.
      return new byte[0];
    }
  }
}
