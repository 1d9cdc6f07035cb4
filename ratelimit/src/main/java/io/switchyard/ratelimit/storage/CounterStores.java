package io.switchyard.ratelimit.storage;

import java.time.Clock;

/** Opens the store that {@link StorageOptions} names. */
public final class CounterStores {
  private CounterStores() {}

  public static CounterStore open(StorageOptions options, Clock clock) throws CounterStoreException {
    return switch (options.kind()) {
      case MEMORY -> new MemoryCounterStore(clock, options.maxKeys());
      case ROCKSDB -> RocksDbCounterStore.open(options.dataDir(), clock, options.maxKeys(), options.flushInterval());
      case REDIS -> RedisCounterStore.connect(options.redisUri(), options.redisTimeout());
    };
  }
}
