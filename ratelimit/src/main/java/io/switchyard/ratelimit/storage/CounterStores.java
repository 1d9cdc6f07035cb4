package io.switchyard.ratelimit.storage;

import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;

/** Opens the store that {@link StorageOptions} names. */
public final class CounterStores {
  private CounterStores() {}

  public static CounterStore open(StorageOptions options, Clock clock) throws CounterStoreException {
    return open(options, clock, RedisCounterStore.StartupListener.NONE);
  }

  /** As above; a Redis store that cannot connect yet keeps trying in the background and tells {@code redis}. */
  public static CounterStore open(StorageOptions options, Clock clock, RedisCounterStore.StartupListener redis)
      throws CounterStoreException {
    return switch (options.kind()) {
      case MEMORY -> new MemoryCounterStore(clock, options.maxKeys());
      case ROCKSDB -> RocksDbCounterStore.open(options.dataDir(), clock, options.maxKeys(), options.flushInterval());
      case REDIS -> RedisCounterStore.start(options.redisUri(), options.redisTimeout(), Clock.systemUTC(),
          options.redisStartup(), RedisCounterStore.Scheduler.daemonThread("ratelimit-redis-connect"), redis,
          () -> ThreadLocalRandom.current().nextDouble());
    };
  }
}
