package io.switchyard.flinkjobs.job;

import java.util.Collection;
import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;

/**
 * RocksDB options of the jobs' keyed state that no Flink setting reaches, named by
 * {@code state.backend.rocksdb.options-factory} in {@link SwitchyardPipeline}'s settings. Public with a
 * public constructor because Flink instantiates it by name.
 *
 * <p>Every checkpoint flushes each column family's memtable into a new level-0 file (the WAL is off,
 * so a native checkpoint can only copy SST files). The pairing's keys are trace ids, spread over the
 * whole key space, so every level-0 file overlaps all of level 1 and each level-0 compaction rewrites
 * the whole of level 1, i.e. the whole pairing state, live traces and dedupe memory alike. At RocksDB's
 * default trigger of 4 files that is one rewrite of the state every 4 checkpoints; at
 * {@value #LEVEL0_COMPACTION_TRIGGER} it is half as many, each merging twice the new data. Reads pay a
 * Bloom-filter probe per extra level-0 file (new traces' state reads are mostly skipped by the pairing's
 * key filter anyway); RocksDB's own write slowdown (20 files) and stop (36) stay well above.
 */
public final class StateRocksDbOptions implements RocksDBOptionsFactory {
  private static final long serialVersionUID = 1L;
  static final int LEVEL0_COMPACTION_TRIGGER = 8;

  public StateRocksDbOptions() {}

  @Override
  public DBOptions createDBOptions(DBOptions current, Collection<AutoCloseable> handlesToClose) {
    return current;
  }

  @Override
  public ColumnFamilyOptions createColumnOptions(ColumnFamilyOptions current, Collection<AutoCloseable> handlesToClose) {
    return current.setLevel0FileNumCompactionTrigger(LEVEL0_COMPACTION_TRIGGER);
  }
}
