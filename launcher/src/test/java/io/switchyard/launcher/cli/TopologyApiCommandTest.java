package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.testing.FreePorts;
import io.switchyard.topology.TopologyApiOptions;
import io.switchyard.topology.TopologyApiServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.junit.jupiter.api.io.TempDir;

class TopologyApiCommandTest {
  @TempDir Path dir;

  @Test
  void startedWithoutKafkaItPrintsAWaitingLineWithWhyNotTheReadyLine() throws Exception {
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    String nowhere = "127.0.0.1:" + FreePorts.next();
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      TopologyApiServer server = TopologyApiCommand.start(p,
          TopologyApiOptions.defaults(dir, nowhere, "").withPort(0));
      assertThat(lines.toString(StandardCharsets.UTF_8))
          .contains("switchyard: topology-api   waiting http://0.0.0.0:" + server.port() + "/api/v1/graph")
          .contains("; not ready: ").contains("; /readyz 503 until then")
          .doesNotContain("topology-api   ready");
      assertThat(server.notReady()).isNotNull();
    }
  }

  @Test
  void helpListsTheCacheSizesWithTheirDefaults() {
    CliRun r = run("topology-api", "--help");
    assertThat(r.code).isZero();
    // Help wraps its lines: compare with the white space collapsed.
    String help = r.out.replaceAll("\\s+", " ");
    assertThat(help).containsPattern("--piece-cache-mb=MB .{0,200}?\\(default: 160\\)")
        .containsPattern("--cached-graphs=N .{0,200}?\\(default: 8\\)")
        .containsPattern("--cached-graph-bodies=N .{0,200}?\\(default: 4\\)");
  }

  @Test
  void negativeCacheSizeIsAOneLineUsageError() {
    CliRun r = run("topology-api", "--data-dir", dir.toString(), "--cached-graphs", "-1", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo("switchyard: cache sizes must not be negative: 167772160 bytes of pieces, -1 graphs, 4 bodies");
  }

  @Test
  void upTakesTheSameCacheSizesAndRefusesANegativeOneBeforeAnythingStarts() {
    assertThat(run("up", "--help").out).contains("--piece-cache-mb=MB").contains("--cached-graphs=N")
        .contains("--cached-graph-bodies=N");
    CliRun r = run("up", "--data-dir", dir.resolve("data").toString(), "--config-dir", dir.toString(),
        "--piece-cache-mb", "-5", "--no-flink", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo("switchyard: cache sizes must not be negative: -5242880 bytes of pieces, 8 graphs, 4 bodies");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  /** Before, RocksDB's "While lock file: …/LOCK: Resource temporarily unavailable" as a stack trace, exit code 1. */
  @Test
  void aStoreInUseByAnotherReplicaIsAOneLineUsageErrorNamingTheDataDir() throws Exception {
    Path store = dir.resolve("topology-store");
    RocksDB.loadLibrary();
    try (Options o = new Options().setCreateIfMissing(true); RocksDB held = RocksDB.open(o, store.toString())) {
      CliRun r = run("topology-api", "--data-dir", dir.toString(), "--kafka", "127.0.0.1:1", "--port", "0",
          "--admin-port", "0");
      assertThat(r.code).as(r.err).isEqualTo(2);
      assertThat(r.err.strip()).isEqualTo("switchyard: topology store " + store.toAbsolutePath()
          + " is in use by another topology-api or switchyard up; stop it, or give this one another --data-dir");
    }
  }
}
