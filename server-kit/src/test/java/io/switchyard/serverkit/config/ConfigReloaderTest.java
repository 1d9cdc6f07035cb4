package io.switchyard.serverkit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.KubeletVolume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReloaderTest {
  @TempDir Path dir;
  private final Metrics metrics = new Metrics(new PrometheusRegistry());

  record Conf(int limit) {}

  /** Loads every *.yaml in the folder and sums their limits, so a reload must read the whole folder. */
  private final ConfigLoader<Integer> loader = d -> {
    int sum = 0;
    try (var files = Files.list(d)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        Conf c = YamlConfig.read(f, Conf.class);
        if (c.limit() < 0) {
          throw new ConfigException(f, 1, 1, "limit must not be negative");
        }
        sum += c.limit();
      }
    } catch (java.io.IOException e) {
      throw new ConfigException(d, 0, 0, e.getMessage());
    }
    return sum;
  };

  @Test
  void invalidEditIsRejectedAndTheLastGoodConfigKeepsServing() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "limit: 5\n");
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      assertThat(r.start()).isEqualTo(5);
      Files.writeString(dir.resolve("b.yaml"), "limit: 3\n");
      assertThat(r.reloadNow()).isTrue();
      assertThat(r.current()).isEqualTo(8);
      assertThat(r.version()).isEqualTo(2);

      Files.writeString(dir.resolve("b.yaml"), "limit: [oops\n");
      assertThat(r.reloadNow()).isFalse();
      assertThat(r.current()).isEqualTo(8);
      assertThat(r.version()).isEqualTo(2);
      assertThat(counter("failure")).isEqualTo(1);
      assertThat(counter("success")).isEqualTo(2);
    }
  }

  @Test
  void lastReloadSuccessfulIsZeroWhileTheFilesOnDiskAreRefusedAndOneOnceTheyLoadAgain() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "limit: 5\n");
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      r.start();
      assertThat(lastReloadSuccessful()).isEqualTo(1);

      Files.writeString(dir.resolve("a.yaml"), "limit: -1\n");
      r.reloadNow();
      // The counters only say a reload failed once; this says the files now on disk are not the ones serving.
      assertThat(lastReloadSuccessful()).isZero();
      assertThat(r.current()).isEqualTo(5);

      Files.writeString(dir.resolve("a.yaml"), "limit: 7\n");
      r.reloadNow();
      assertThat(lastReloadSuccessful()).isEqualTo(1);
    }
  }

  @Test
  void unchangedFilesAreNotReloaded() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "limit: 5\n");
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      r.start();
      assertThat(r.reloadNow()).isFalse();
      assertThat(r.version()).isEqualTo(1);
    }
  }

  @Test
  void invalidFirstLoadFailsWithFileAndLine() throws Exception {
    Path f = Files.writeString(dir.resolve("a.yaml"), "limit: -1\n");
    ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics).build();
    assertThatThrownBy(r::start).isInstanceOf(ConfigException.class).hasMessage(f + ":1:1: limit must not be negative");
  }

  @Test
  void watcherPicksUpChangesAndNotifies() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "limit: 1\n");
    // Written by the poll thread, which installs the config before it calls the listener: await the call itself.
    List<Integer> seen = new CopyOnWriteArrayList<>();
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics)
        .pollInterval(Duration.ofMillis(50)).onChange(seen::add).build()) {
      r.start();
      Files.writeString(dir.resolve("a.yaml"), "limit: 7\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());
      assertThat(r.current()).isEqualTo(7);
      assertThat(seen).containsExactly(7);
    }
  }

  @Test
  void configMapFolderUpdateIsReloadedOnceAndItsHiddenCopiesAreNotRead() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("mnt"), Map.of("a.yaml", "limit: 1\n", "b.yaml", "limit: 2\n"));
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", v.dir(), loader).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      assertThat(r.start()).isEqualTo(3);

      v.update(Map.of("a.yaml", "limit: 5\n", "b.yaml", "limit: 2\n"));
      assertThat(r.reloadNow()).isTrue();
      assertThat(r.current()).isEqualTo(7);
      assertThat(r.reloadNow()).isFalse();

      // Same keys and content in a new ..<timestamp> folder: nothing an operator changed, so no reload.
      v.update(Map.of("a.yaml", "limit: 5\n", "b.yaml", "limit: 2\n"));
      assertThat(r.reloadNow()).isFalse();

      v.update(Map.of("a.yaml", "limit: 5\n"));
      assertThat(r.reloadNow()).isTrue();
      assertThat(r.current()).isEqualTo(5);
      assertThat(r.version()).isEqualTo(3);
    }
  }

  @Test
  void configMapFileUpdateIsReloadedThroughItsUnchangedLink() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("mnt"), Map.of("mesh.yaml", "limit: 1\n"));
    ConfigLoader<Integer> one = f -> YamlConfig.read(f, Conf.class).limit();
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", v.file("mesh.yaml"), one).metrics(metrics)
        .pollInterval(Duration.ofMillis(20)).build()) {
      assertThat(r.start()).isEqualTo(1);
      v.update(Map.of("mesh.yaml", "limit: 9\n"));
      await().atMost(Duration.ofSeconds(10)).until(() -> r.current() == 9);
      assertThat(counter("failure")).isZero();
    }
  }

  @Test
  void brokenConfigMapUpdateIsRefusedWithFileAndLineAndCounted() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("mnt"), Map.of("a.yaml", "limit: 1\n"));
    List<String> refusals = new ArrayList<>();
    ConfigLoader<Integer> recording = d -> {
      try {
        return loader.load(d);
      } catch (ConfigException e) {
        refusals.add(e.getMessage());
        throw e;
      }
    };
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", v.dir(), recording).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      r.start();
      v.update(Map.of("a.yaml", "limit: -4\n"));
      assertThat(r.reloadNow()).isFalse();
      assertThat(r.current()).isEqualTo(1);
      assertThat(counter("failure")).isEqualTo(1);
      assertThat(refusals).containsExactly(v.file("a.yaml") + ":1:1: limit must not be negative");
    }
  }

  @Test
  void visibleFilesFollowLinksAndDoNotEnterHiddenFolders() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("mnt"), Map.of("a.yaml", "limit: 1\n", "team/b.yaml", "limit: 2\n"));
    // A hidden folder that cannot be walked (here a loop; in a pod, the kubelet's previous ..<timestamp> folder
    // being deleted mid-listing) must not fail the listing.
    Files.createSymbolicLink(v.dir().resolve("..loop"), Path.of("."));

    assertThat(ConfigReloader.visibleFiles(v.dir())).containsExactly(v.file("a.yaml"), v.file("team/b.yaml"));
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", v.dir(), loader).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      assertThat(r.start()).isEqualTo(1);
      v.update(Map.of("a.yaml", "limit: 4\n", "team/b.yaml", "limit: 2\n"));
      assertThat(r.reloadNow()).isTrue();
    }
  }

  @Test
  void aSubfolderThatCannotBeWalkedNeitherStopsTheStartNorHidesEditsOfTheFilesBesideIt() throws Exception {
    // A loader that reads only the folder's own files (as ratelimit's) next to a subfolder the walk cannot enter: in a
    // pod, a volume's root-only lost+found; here a link loop, which fails the walk the same way.
    Files.writeString(dir.resolve("a.yaml"), "limit: 1\n");
    Files.createDirectory(dir.resolve("sub"));
    Files.createSymbolicLink(dir.resolve("sub/loop"), dir);
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      assertThat(r.start()).isEqualTo(1);
      assertThat(r.reloadNow()).isFalse();
      Files.writeString(dir.resolve("a.yaml"), "limit: 6\n");
      assertThat(r.reloadNow()).isTrue();
      assertThat(r.current()).isEqualTo(6);
      assertThat(counter("failure")).isZero();
    }
  }

  @Test
  void aFolderThatCannotBeWalkedIsRefusedOnceNotAtEveryPoll() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "limit: 1\n");
    List<String> refusals = new ArrayList<>();
    // A loader that reads the whole tree, as ext-authz's, and so refuses a folder it cannot walk.
    ConfigLoader<Integer> walking = d -> {
      try {
        return ConfigReloader.visibleFiles(d).size();
      } catch (java.io.IOException e) {
        refusals.add(e.toString());
        throw new ConfigException(d, 0, 0, "cannot list: " + e.getMessage());
      }
    };
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, walking).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      assertThat(r.start()).isEqualTo(1);
      Files.createDirectory(dir.resolve("sub"));
      Files.createSymbolicLink(dir.resolve("sub/loop"), dir);
      assertThat(r.reloadNow()).isFalse();
      assertThat(r.reloadNow()).isFalse();
      assertThat(r.reloadNow()).isFalse();
      assertThat(refusals).hasSize(1);
      assertThat(counter("failure")).isEqualTo(1);
      assertThat(r.current()).isEqualTo(1);

      Files.delete(dir.resolve("sub/loop"));
      assertThat(r.reloadNow()).isTrue();
      assertThat(r.current()).isEqualTo(1);
      assertThat(r.version()).isEqualTo(2);
    }
  }

  @Test
  void aFileTooLargeToReadDoesNotStopTheWatchAndTheNextEditLoads() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "limit: 1\n");
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics)
        .pollInterval(Duration.ofMillis(20)).build()) {
      r.start();
      // Sparse, so it costs no disk: larger than a Java array, which reading it whole cannot fit in (an Error, which
      // ended the poll task for good, so that no later edit was ever loaded).
      try (var big = new java.io.RandomAccessFile(dir.resolve("big.yaml").toFile(), "rw")) {
        big.setLength(3L << 30);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> counter("failure") >= 1);
      Files.delete(dir.resolve("big.yaml"));
      Files.writeString(dir.resolve("a.yaml"), "limit: 4\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> r.current() == 4);
    }
  }

  @Test
  void aWatchedFileIsLoadedOnlyOnceItStoppedChangingSoAHalfWrittenSaveIsNeitherServedNorRefused() throws Exception {
    Path a = Files.writeString(dir.resolve("a.yaml"), "limit: 1\n");
    try (ConfigReloader<Integer> r = ConfigReloader.builder("test", dir, loader).metrics(metrics).pollInterval(Duration.ZERO).build()) {
      r.start();
      // An editor truncating and writing, looked at mid-write twice: each look sees other content.
      Files.writeString(a, "");
      r.poll();
      Files.writeString(a, "limit: [");
      r.poll();
      Files.writeString(a, "limit: 7\n");
      r.poll();
      assertThat(r.current()).isEqualTo(1);
      assertThat(counter("failure")).isZero();
      assertThat(r.version()).isEqualTo(1);

      // The next look finds it as the last one did: written, so loaded.
      r.poll();
      assertThat(r.current()).isEqualTo(7);
      assertThat(r.version()).isEqualTo(2);

      // vim's save: the file renamed away, a new one written. Seen without the file, nothing is loaded.
      Files.move(a, dir.resolve("a.yaml~"));
      r.poll();
      Files.writeString(a, "limit: 8\n");
      Files.delete(dir.resolve("a.yaml~"));
      r.poll();
      assertThat(r.current()).isEqualTo(7);
      r.poll();
      assertThat(r.current()).isEqualTo(8);
      assertThat(r.version()).isEqualTo(3);

      // A file that stays broken is refused once it settled, and once only.
      Files.writeString(a, "limit: [\n");
      r.poll();
      r.poll();
      r.poll();
      assertThat(counter("failure")).isEqualTo(1);
      assertThat(r.current()).isEqualTo(8);
    }
  }

  private double lastReloadSuccessful() {
    return metrics.gauge("switchyard_config_last_reload_successful", "", "component").labelValues("test").get();
  }

  private double counter(String result) {
    return metrics.counter("switchyard_config_reload_total", "", "component", "result")
        .labelValues("test", result).get();
  }
}
