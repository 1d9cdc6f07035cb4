package io.switchyard.serverkit.config;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the current config of one component and reloads it when its file or folder changes. A reload
 * loads and validates the whole config first and swaps it in atomically only when valid; an invalid
 * edit is logged once with {@code file:line:column: reason}, counted, and the last good config keeps
 * serving.
 *
 * <p>Changes are found by polling a content fingerprint rather than by file-system events: polling
 * sees edits on every file system, atomic symlink swaps (Kubernetes ConfigMaps) and editors that
 * replace files, and costs little for folders of a few YAML files.
 */
public final class ConfigReloader<T> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);
  /** The largest config file loaders read; see {@link #checkSize}. */
  public static final long MAX_FILE_BYTES = 12L << 20;

  private final String component;
  private final Path path;
  private final ConfigLoader<T> loader;
  private final Consumer<T> onChange;
  private final Duration pollInterval;
  private final Counter reloads;
  private final Gauge versionGauge;
  private final Gauge lastSuccessful;

  private volatile T current;
  private volatile long version;
  private byte[] lastSeen;
  /** What the last look of the watch found, when it differed from what is loaded: loaded if the next look agrees. */
  private byte[] settling;
  private ScheduledExecutorService poller;

  private ConfigReloader(Builder<T> b) {
    this.component = b.component;
    this.path = b.path;
    this.loader = b.loader;
    this.onChange = b.onChange;
    this.pollInterval = b.pollInterval;
    this.reloads = b.metrics.counter("switchyard_config_reload_total",
        "Config loads and reloads by component and result (success or failure).", "component", "result");
    this.versionGauge = b.metrics.gauge("switchyard_config_version",
        "Version of the config in use by component: 1 at start, +1 per successful reload.", "component");
    // As Prometheus's own prometheus_config_last_reload_successful: the counters say that a reload failed once, not
    // whether the files on disk now are the ones serving, which is what an alert wants.
    this.lastSuccessful = b.metrics.gauge("switchyard_config_last_reload_successful",
        "1 when the last load of the component's config files succeeded, 0 while the files on disk are refused and "
            + "the last good config serves.", "component");
  }

  public static <T> Builder<T> builder(String component, Path path, ConfigLoader<T> loader) {
    return new Builder<>(component, path, loader);
  }

  /** Loads the config once (throwing when it is invalid) and starts watching for changes. */
  public synchronized T start() throws ConfigException {
    lastSeen = fingerprint();
    T first;
    try {
      first = loader.load(path);
    } catch (ConfigException e) {
      failed();
      throw e;
    }
    install(first);
    if (!pollInterval.isZero()) {
      poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "config-reload-" + component);
        t.setDaemon(true);
        return t;
      });
      poller.scheduleWithFixedDelay(this::poll, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }
    return first;
  }

  public T current() {
    T c = current;
    if (c == null) {
      throw new IllegalStateException(component + " config not loaded: call start() first");
    }
    return c;
  }

  public long version() {
    return version;
  }

  /**
   * Loads the config now if its files changed since the last attempt. Returns true when a new valid
   * config was swapped in; false when nothing changed or the new files are invalid (the old config stays).
   */
  public synchronized boolean reloadNow() {
    byte[] now = fingerprint();
    if (Arrays.equals(now, lastSeen)) {
      return false;
    }
    return load(now);
  }

  private boolean load(byte[] now) {
    lastSeen = now;
    settling = null;
    try {
      install(loader.load(path));
      log.info("{} config reloaded from {} (version {})", component, path, version);
      return true;
    } catch (ConfigException e) {
      failed();
      log.warn("{} config rejected, keeping version {}: {}", component, version, e.getMessage());
      return false;
    }
  }

  private void failed() {
    reloads.labelValues(component, "failure").inc();
    lastSuccessful.labelValues(component).set(0);
  }

  private void install(T config) {
    current = Objects.requireNonNull(config, "loader returned null");
    version++;
    reloads.labelValues(component, "success").inc();
    versionGauge.labelValues(component).set(version);
    lastSuccessful.labelValues(component).set(1);
    if (version > 1) {
      onChange.accept(config);
    }
  }

  /**
   * One look of the watch: loads a change only once a look finds the files as the look before it did. A save seen
   * mid-write (an editor truncating and writing, vim renaming the file away before writing a new one, a copy of
   * several files) was loaded as it stood: refused, which logged and counted a failure for a good edit, or, when the
   * part written parsed, served without the rest (a domain without its limits) until the next look. A ConfigMap
   * update is one atomic swap, so it costs one more poll interval.
   */
  synchronized void poll() {
    try {
      byte[] now = fingerprint();
      if (Arrays.equals(now, lastSeen)) {
        settling = null;
      } else if (!Arrays.equals(now, settling)) {
        settling = now;
      } else {
        load(now);
      }
    } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
      // A loader bug must not kill the poller (an Error thrown out of a scheduled task ends it silently, and no later
      // edit would ever load); the last good config keeps serving.
      failed();
      log.error("{} config reload failed unexpectedly", component, e);
    }
  }

  private byte[] fingerprint() {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      if (Files.isDirectory(path)) {
        // A part of the tree that cannot be walked (a volume's root-only lost+found, a link loop) is fingerprinted
        // by its error, not thrown: thrown, it failed every poll (logged each time) and hid every edit of the files
        // beside it. The loader decides whether it matters, once per change.
        List<String> failures = new ArrayList<>();
        for (Path f : walk(path, (p, e) -> failures.add(path.relativize(p) + "\0" + e))) {
          digest.update(path.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
          digest.update((byte) 0);
          update(digest, f);
          digest.update((byte) 0);
        }
        for (String failure : failures) {
          digest.update(("cannot walk\0" + failure).getBytes(java.nio.charset.StandardCharsets.UTF_8));
          digest.update((byte) 0);
        }
      } else {
        update(digest, path);
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether a path under a watched folder is hidden (any part starts with a dot): skipped by the reloader's
   * fingerprint, and to be skipped by loaders that walk the folder. A mounted ConfigMap's keys are links into the
   * kubelet's hidden {@code ..<timestamp>} folder, which would otherwise be read twice; editors' swap files too.
   */
  public static boolean hidden(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The regular files under a watched folder, sorted, as loaders that read a whole folder should list them: links
   * are followed (a ConfigMap's keys, and an {@code items[].path} subfolder, are links into {@code ..data}), and
   * hidden names are not entered at all, so the kubelet deleting its previous {@code ..<timestamp>} folder while
   * the folder is listed is not an error, and nothing is read twice.
   */
  public static List<Path> visibleFiles(Path dir) throws IOException {
    return walk(dir, (f, e) -> {
      throw new UncheckedIOException(e);
    });
  }

  /** {@link #visibleFiles}, telling {@code onFailure} of each visible part that cannot be walked. */
  private static List<Path> walk(Path dir, BiConsumer<Path, IOException> onFailure) throws IOException {
    List<Path> files = new ArrayList<>();
    try {
      walkInto(dir, files, onFailure);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    files.sort(null);
    return files;
  }

  private static void walkInto(Path dir, List<Path> files, BiConsumer<Path, IOException> onFailure) throws IOException {
    Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
        return d.equals(dir) || !hidden(dir.relativize(d)) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
        if (attrs.isRegularFile() && !hidden(dir.relativize(f))) {
          files.add(f);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
        // Gone between listing and reading (an editor's or the kubelet's swap): the next look sees the settled state.
        if (!(e instanceof NoSuchFileException) && !hidden(dir.relativize(f))) {
          onFailure.accept(f, e);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /**
   * Adds a file's content to the fingerprint, streamed. A file larger than {@link #MAX_FILE_BYTES}, which loaders
   * refuse, counts by its size and modification time: reading it whole failed with an Error that ended the poll for
   * good, and hashing gigabytes at every poll would hold a core.
   */
  private static void update(MessageDigest digest, Path f) {
    try {
      BasicFileAttributes attrs = Files.readAttributes(f, BasicFileAttributes.class);
      if (attrs.size() > MAX_FILE_BYTES) {
        digest.update(("too large\0" + attrs.size() + "\0" + attrs.lastModifiedTime().toMillis())
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return;
      }
      try (InputStream in = Files.newInputStream(f)) {
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
          digest.update(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      // Deleted or unreadable between listing and reading: the next poll sees the settled state.
      digest.update(("cannot read\0" + e.getClass().getName()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /**
   * Whether a config file is larger than any config file this project loads (SnakeYAML, under every loader, refuses
   * a document of more than 3 Mi code points, at most 12 MiB of UTF-8): loaders refuse it with this reason before
   * reading it, so that a stray huge file costs no memory.
   */
  public static void checkSize(Path file) throws ConfigException {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      return; // the read that follows reports it
    }
    if (size > MAX_FILE_BYTES) {
      throw new ConfigException(file, 0, 0, "file is " + size + " bytes, more than a config file may have ("
          + MAX_FILE_BYTES + ")");
    }
  }

  @Override
  public synchronized void close() {
    if (poller != null) {
      poller.shutdownNow();
    }
  }

  public static final class Builder<T> {
    private final String component;
    private final Path path;
    private final ConfigLoader<T> loader;
    private Metrics metrics;
    private Consumer<T> onChange = c -> {};
    private Duration pollInterval = Duration.ofSeconds(1);

    private Builder(String component, Path path, ConfigLoader<T> loader) {
      this.component = Objects.requireNonNull(component, "component");
      this.path = Objects.requireNonNull(path, "path");
      this.loader = Objects.requireNonNull(loader, "loader");
    }

    public Builder<T> metrics(Metrics metrics) {
      this.metrics = metrics;
      return this;
    }

    /** Called after each successful reload (not for the first load) with the new config. */
    public Builder<T> onChange(Consumer<T> onChange) {
      this.onChange = Objects.requireNonNull(onChange);
      return this;
    }

    /** How often to look for changes; zero turns watching off (reloadNow() still works). */
    public Builder<T> pollInterval(Duration interval) {
      if (interval.isNegative()) {
        throw new IllegalArgumentException("pollInterval must not be negative");
      }
      this.pollInterval = interval;
      return this;
    }

    public ConfigReloader<T> build() {
      Objects.requireNonNull(metrics, "metrics");
      return new ConfigReloader<>(this);
    }
  }
}
