package io.switchyard.serverkit.tls;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS files a group of listeners follows: one loaded material per distinct set of files (certificate
 * chain, key, client CA; paths compared absolute and normalised, symlinks not resolved so that a Kubernetes
 * {@code ..data} swap is still seen), polled by one task and counted once per load in
 * {@code switchyard_tls_reload_total{cert,client_ca,result}} however many listeners serve it, e.g. ingest's three.
 * Two sets with the same certificate and different client CAs (or one with none) are two series, told apart by
 * {@code client_ca} (empty for none): each is loaded, and counted, on its own.
 *
 * <p>Listeners built without a registry use {@link #shared()}, the process's, which the admin server exports
 * by default. Tests and embedders that want their own counts and poller create their own and pass it to
 * {@code GrpcServer.Builder.certificates}, {@code HttpServerKit.Builder.certificates} and
 * {@code AdminServer.Builder.certificates}.
 */
public final class CertificateRegistry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CertificateRegistry.class);
  private static final String METRIC = "switchyard_tls_reload_total";

  private final ScheduledExecutorService givenPoller;
  private final Duration interval;
  private final boolean processWide;
  /** By absolute, normalised files; guarded by {@code this}. */
  private final Map<TlsOptions, CertificateSet> sets = new HashMap<>();
  /** Loads by certificate file and client CA file (as first named; "" for none) and result. */
  private final Map<List<String>, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final Set<PrometheusRegistry> exported = Collections.synchronizedSet(
      Collections.newSetFromMap(new WeakHashMap<>()));
  private final Object pollerLock = new Object();
  private ScheduledExecutorService ownPoller;
  private boolean closed;

  /** Polls every {@link CertificateReloader#DEFAULT_POLL_INTERVAL} on a daemon thread of its own, started on first use. */
  public CertificateRegistry() {
    this(CertificateReloader.DEFAULT_POLL_INTERVAL);
  }

  /** Polls every {@code interval} on a daemon thread of its own, started on first use and stopped by {@link #close}. */
  public CertificateRegistry(Duration interval) {
    this(null, interval, false);
  }

  /** Polls every {@code interval} on {@code poller}, which stays its caller's (not shut down by {@link #close}). */
  public CertificateRegistry(ScheduledExecutorService poller, Duration interval) {
    this(Objects.requireNonNull(poller, "poller"), interval, false);
  }

  private CertificateRegistry(ScheduledExecutorService poller, Duration interval, boolean processWide) {
    this.givenPoller = poller;
    this.interval = Objects.requireNonNull(interval, "interval");
    this.processWide = processWide;
  }

  private static final class Shared {
    static final CertificateRegistry INSTANCE = new CertificateRegistry(null, CertificateReloader.DEFAULT_POLL_INTERVAL, true);
  }

  /** The process's registry, used by listeners and the admin server that were given none; never closed. */
  public static CertificateRegistry shared() {
    return Shared.INSTANCE;
  }

  /**
   * A listener's handle on the material of {@code options}' files: read now (throwing when they are not
   * usable) unless another open handle of this registry already follows the same files. Close the handle
   * when the listener stops; the last one closed stops the polling.
   */
  public CertificateReloader acquire(TlsOptions options) throws IOException {
    Objects.requireNonNull(options, "options");
    TlsOptions key = key(options);
    CertificateSet set;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("certificate registry closed");
      }
      set = sets.get(key);
      if (set == null) {
        // Under the lock so that listeners built at the same time on the same files read them once.
        set = CertificateSet.load(options, this);
        sets.put(key, set);
      }
      set.users++;
    }
    return new CertificateReloader(set, this);
  }

  /** How often handles that {@link CertificateReloader#watch() watch} look at their files. */
  public Duration pollInterval() {
    return interval;
  }

  /** Exports {@code switchyard_tls_reload_total{cert,client_ca,result}} of this registry to {@code metrics}; once per registry. */
  public void exportMetrics(Metrics metrics) {
    PrometheusRegistry registry = metrics.registry();
    synchronized (exported) {
      if (exported.contains(registry)) {
        return;
      }
      try {
        CounterWithCallback.builder().name(METRIC)
            .help("TLS certificate loads and reloads by certificate file, client CA file (empty for none) and result "
                + "(success or failure).")
            .labelNames("cert", "client_ca", "result")
            .callback(cb -> outcomes.forEach((k, v) -> cb.call(v.sum(), k.get(0), k.get(1), k.get(2))))
            .register(registry);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(METRIC + " is already exported to this metrics registry by another "
            + "CertificateRegistry; give the admin server and the listeners the same one", e);
      }
      exported.add(registry);
    }
  }

  /**
   * Loads counted so far for {@code certChain} (as the listener named it) with {@code result} ("success" or
   * "failure"), whatever the client CA.
   */
  public long reloads(Path certChain, String result) {
    String cert = certChain.toString();
    return outcomes.entrySet().stream().filter(e -> e.getKey().get(0).equals(cert) && e.getKey().get(2).equals(result))
        .mapToLong(e -> e.getValue().sum()).sum();
  }

  /** Loads counted so far for the files of {@code options} (as the listener named them) with {@code result}. */
  public long reloads(TlsOptions options, String result) {
    LongAdder n = outcomes.get(outcome(options, result));
    return n == null ? 0 : n.sum();
  }

  /**
   * Stops every poll and the poller this registry started; handles still open keep serving the material
   * last loaded. Does nothing on {@link #shared()}.
   */
  @Override
  public void close() {
    if (processWide) {
      return;
    }
    synchronized (this) {
      closed = true;
      sets.values().forEach(CertificateSet::stopWatching);
      sets.clear();
    }
    synchronized (pollerLock) {
      if (ownPoller != null) {
        ownPoller.shutdownNow();
      }
    }
  }

  synchronized void release(CertificateSet set) {
    if (set.users > 0 && --set.users == 0) {
      set.stopWatching();
      sets.remove(key(set.options), set);
    }
  }

  void count(TlsOptions options, String result) {
    outcomes.computeIfAbsent(outcome(options, result), k -> new LongAdder()).increment();
  }

  private static List<String> outcome(TlsOptions options, String result) {
    return List.of(options.certChain().toString(), options.clientCa() == null ? "" : options.clientCa().toString(), result);
  }

  /** Null when the registry is closed. */
  ScheduledFuture<?> schedule(Runnable poll, Duration every) {
    ScheduledExecutorService poller = poller();
    if (poller == null) {
      return null;
    }
    try {
      return poller.scheduleWithFixedDelay(poll, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("TLS file polling not started: the poller is shut down");
      return null;
    }
  }

  private ScheduledExecutorService poller() {
    if (givenPoller != null) {
      return givenPoller;
    }
    synchronized (pollerLock) {
      if (ownPoller == null) {
        ownPoller = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "tls-reload");
          t.setDaemon(true);
          return t;
        });
      }
      return ownPoller.isShutdown() ? null : ownPoller;
    }
  }

  private static TlsOptions key(TlsOptions o) {
    return new TlsOptions(normal(o.certChain()), normal(o.privateKey()), o.clientCa() == null ? null : normal(o.clientCa()));
  }

  private static Path normal(Path p) {
    return p.toAbsolutePath().normalize();
  }
}
