package io.switchyard.serverkit.tls;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's TLS material that follows its PEM files without a restart: the key and trust managers it
 * hands out delegate to the material last loaded, so new handshakes get a rotated certificate (or client
 * CA) while the listener and its open connections stay. The files are compared by content, read through
 * their path, so cert-manager's and Kubernetes' swap of a {@code ..data} symlink is seen as well as an
 * edit in place or a rename over the file. New material that does not load (unreadable, half written, a
 * key that does not match the certificate) is refused with one log line and counted in
 * {@code switchyard_tls_reload_total{cert,result="failure"}}; the material in use stays.
 */
public final class CertificateReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CertificateReloader.class);

  /** How often listeners look at their certificate files. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(10);

  /** Loads by certificate file and result, for every reloader of the process ({@link #exportMetrics}). */
  private static final Map<List<String>, LongAdder> OUTCOMES = new ConcurrentHashMap<>();
  private static final Set<PrometheusRegistry> EXPORTED = Collections.synchronizedSet(
      Collections.newSetFromMap(new WeakHashMap<>()));
  private static final ScheduledExecutorService POLLER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "tls-reload");
    t.setDaemon(true);
    return t;
  });

  private final TlsOptions options;
  private final SwitchingKeyManager keys;
  private final SwitchingTrustManager trust;
  private byte[] lastSeen;
  private ScheduledFuture<?> poll;

  private CertificateReloader(TlsOptions options, X509ExtendedKeyManager km, X509ExtendedTrustManager tm, byte[] seen) {
    this.options = options;
    this.keys = new SwitchingKeyManager(km);
    this.trust = tm == null ? null : new SwitchingTrustManager(tm);
    this.lastSeen = seen;
  }

  /** Loads the files once (throwing when they are not usable); call {@link #watch} to follow them. */
  public static CertificateReloader load(TlsOptions options) throws IOException {
    Objects.requireNonNull(options, "options");
    byte[] seen = fingerprint(options);
    try {
      CertificateReloader r = new CertificateReloader(options, PemSslContexts.keyManager(options.certChain(), options.privateKey()),
          options.clientCa() == null ? null : PemSslContexts.trustManager(options.clientCa()), seen);
      count(options, "success");
      return r;
    } catch (IOException e) {
      count(options, "failure");
      throw e;
    }
  }

  /** Looks at the files every {@code interval} from now on, until {@link #close}. */
  public synchronized CertificateReloader watch(Duration interval) {
    if (poll == null && !interval.isZero() && !interval.isNegative()) {
      poll = POLLER.scheduleWithFixedDelay(this::pollOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }
    return this;
  }

  /**
   * Loads the files now if their content changed since the last attempt. True when new material was
   * swapped in; false when nothing changed or the new files are not usable (the material in use stays).
   */
  public synchronized boolean reloadNow() {
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
      count(options, "success");
      log.info("TLS certificate reloaded from {}", options.certChain());
      return true;
    } catch (IOException | RuntimeException e) {
      count(options, "failure");
      String why = e instanceof java.nio.file.NoSuchFileException ? "no such file " + e.getMessage() : e.getMessage();
      log.warn("TLS certificate reload from {} refused, the certificate in use stays: {}", options.certChain(), why);
      return false;
    }
  }

  public TlsOptions options() {
    return options;
  }

  /** gRPC credentials whose certificate and client CA follow the files. */
  public ServerCredentials grpcCredentials() {
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keys);
    if (trust != null) {
      b.trustManager(trust).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return b.build();
  }

  /** A JDK SSLContext (HTTPS listeners) whose certificate and client CA follow the files. */
  public SSLContext sslContext() throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {keys}, trust == null ? null : new TrustManager[] {trust}, null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot create a TLS context: " + e.getMessage(), e);
    }
  }

  /** Exports {@code switchyard_tls_reload_total{cert,result}} of every reloader in the process. */
  public static void exportMetrics(Metrics metrics) {
    PrometheusRegistry registry = metrics.registry();
    if (EXPORTED.add(registry)) {
      CounterWithCallback.builder().name("switchyard_tls_reload_total")
          .help("TLS certificate loads and reloads by certificate file and result (success or failure).")
          .labelNames("cert", "result")
          .callback(cb -> OUTCOMES.forEach((k, v) -> cb.call(v.sum(), k.get(0), k.get(1))))
          .register(registry);
    }
  }

  /** Loads counted so far for {@code certChain} with {@code result} ("success" or "failure"). */
  public static long reloads(Path certChain, String result) {
    LongAdder n = OUTCOMES.get(List.of(certChain.toString(), result));
    return n == null ? 0 : n.sum();
  }

  @Override
  public synchronized void close() {
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

  private static void count(TlsOptions options, String result) {
    OUTCOMES.computeIfAbsent(List.of(options.certChain().toString(), result), k -> new LongAdder()).increment();
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

  private static final class SwitchingKeyManager extends X509ExtendedKeyManager {
    volatile X509ExtendedKeyManager delegate;

    SwitchingKeyManager(X509ExtendedKeyManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return delegate.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return delegate.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return delegate.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return delegate.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return delegate.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return delegate.getPrivateKey(alias);
    }
  }

  private static final class SwitchingTrustManager extends X509ExtendedTrustManager {
    volatile X509ExtendedTrustManager delegate;

    SwitchingTrustManager(X509ExtendedTrustManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
