package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.state.StateBackendLoader;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.state.rocksdb.RocksDBResourceContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.slf4j.LoggerFactory;

class StateRocksDbOptionsTest {
  @TempDir Path dir;

  /** What RocksDB is handed for every column family, built by Flink from the jobs' own settings. */
  private ColumnFamilyOptions columnOptions(Configuration conf, RocksDBResourceContainer[] holder) throws Exception {
    var backend = (EmbeddedRocksDBStateBackend) StateBackendLoader.loadStateBackendFromConfig(conf,
        getClass().getClassLoader(), LoggerFactory.getLogger(getClass()));
    holder[0] = new RocksDBResourceContainer(conf, backend.getPredefinedOptions(), backend.getRocksDBOptions(), null,
        new File(dir.toFile(), "db"), false);
    return holder[0].getColumnOptions();
  }

  @Test
  void flinkHandsRocksDbTheJobsCompressionAndLevel0Trigger() throws Exception {
    for (Configuration conf : new Configuration[] {SwitchyardPipeline.flinkConfiguration(JobOptions.defaults()),
        SwitchyardPipeline.clusterConfiguration(JobOptions.defaults())}) {
      RocksDBResourceContainer[] container = new RocksDBResourceContainer[1];
      try {
        ColumnFamilyOptions cf = columnOptions(conf, container);
        assertThat(cf.compressionPerLevel()).containsExactly(CompressionType.NO_COMPRESSION, CompressionType.LZ4_COMPRESSION);
        assertThat(cf.level0FileNumCompactionTrigger()).isEqualTo(StateRocksDbOptions.LEVEL0_COMPACTION_TRIGGER);
        // RocksDB's write slowdown and stop must stay above the trigger, or writes would stall before a compaction starts
        assertThat(cf.level0SlowdownWritesTrigger()).isGreaterThan(StateRocksDbOptions.LEVEL0_COMPACTION_TRIGGER);
        assertThat(cf.level0StopWritesTrigger()).isGreaterThan(cf.level0SlowdownWritesTrigger());
        // Each checkpoint flushes the memtables because Flink writes no WAL (the reason level 0 fills up at all)
        assertThat(container[0].getWriteOptions().disableWAL()).isTrue();
      } finally {
        if (container[0] != null) {
          container[0].close();
        }
      }
    }
  }

  @Test
  void withoutTheJobsSettingsFlinkWouldCompressAndCompactAtFourFiles() throws Exception {
    Configuration plain = new Configuration();
    plain.setString("state.backend.type", "rocksdb");
    RocksDBResourceContainer[] container = new RocksDBResourceContainer[1];
    try {
      ColumnFamilyOptions cf = columnOptions(plain, container);
      assertThat(cf.compressionPerLevel()).containsExactly(CompressionType.SNAPPY_COMPRESSION);
      assertThat(cf.level0FileNumCompactionTrigger()).isEqualTo(4);
    } finally {
      if (container[0] != null) {
        container[0].close();
      }
    }
  }
}
