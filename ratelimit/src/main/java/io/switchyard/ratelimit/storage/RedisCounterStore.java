package io.switchyard.ratelimit.storage;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Counters shared by several replicas through Redis, with the reference's key scheme: {@code INCRBY key
 * hits} then {@code EXPIRE key ttl}, every command of one request sent back to back on one connection
 * (pipelined) and awaited together within the timeout. Token buckets run as one Lua script per key.
 */
public final class RedisCounterStore implements CounterStore {
  private static final String GCRA = """
      local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
      local hits = tonumber(ARGV[1])
      local limit = tonumber(ARGV[2])
      local period = tonumber(ARGV[3])
      local now = tonumber(ARGV[4])
      local tat = math.max(stored, now)
      if limit <= 0 then
        if hits == 0 then return tat end
        return -tat - 1
      end
      local interval = math.max(1, math.floor(period / limit))
      local nxt = tat + hits * interval
      if nxt - now <= period then
        if hits > 0 then
          redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
        end
        return nxt
      end
      return -tat - 1
      """;

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> redis;
  private final long timeoutNanos;
  private final Clock clock;
  private final String gcraSha;

  private RedisCounterStore(RedisClient client, StatefulRedisConnection<String, String> connection,
      Duration timeout, Clock clock) throws CounterStoreException {
    this.client = client;
    this.connection = connection;
    this.redis = connection.async();
    this.timeoutNanos = timeout.toNanos();
    this.clock = clock;
    this.gcraSha = await(redis.scriptLoad(GCRA));
  }

  public static RedisCounterStore connect(URI uri, Duration timeout) throws CounterStoreException {
    return connect(uri, timeout, Clock.systemUTC());
  }

  public static RedisCounterStore connect(URI uri, Duration timeout, Clock clock) throws CounterStoreException {
    RedisClient client = RedisClient.create(RedisURI.create(uri));
    client.setOptions(ClientOptions.builder()
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .build());
    try {
      StatefulRedisConnection<String, String> c = client.connect();
      c.setTimeout(timeout);
      return new RedisCounterStore(client, c, timeout, clock);
    } catch (RuntimeException e) {
      client.shutdown();
      throw new CounterStoreException("connect", "cannot connect to Redis at " + uri + ": " + e.getMessage(), e);
    }
  }

  @Override
  public long[] addAndGet(String[] keys, long[] hits, long[] expireAtMillis) throws CounterStoreException {
    long now = clock.millis();
    @SuppressWarnings("unchecked")
    RedisFuture<?>[] futures = new RedisFuture<?>[keys.length];
    for (int i = 0; i < keys.length; i++) {
      if (hits[i] == 0) {
        futures[i] = redis.get(keys[i]);
      } else {
        futures[i] = redis.incrby(keys[i], hits[i]);
        long ttlSeconds = Math.max(1, (expireAtMillis[i] - now + 999) / 1000);
        redis.expire(keys[i], ttlSeconds);
      }
    }
    long[] out = new long[keys.length];
    long deadline = System.nanoTime() + timeoutNanos;
    for (int i = 0; i < keys.length; i++) {
      Object v = awaitUntil(futures[i], deadline);
      out[i] = v == null ? 0 : v instanceof Long l ? l : Long.parseLong(v.toString());
    }
    return out;
  }

  @Override
  public long[] takeTokens(String[] keys, long[] hits, long[] limits, long[] periodMicros, long nowMicros)
      throws CounterStoreException {
    @SuppressWarnings("unchecked")
    RedisFuture<Long>[] futures = new RedisFuture[keys.length];
    for (int i = 0; i < keys.length; i++) {
      futures[i] = redis.evalsha(gcraSha, ScriptOutputType.INTEGER, new String[] {keys[i]},
          Long.toString(hits[i]), Long.toString(limits[i]), Long.toString(periodMicros[i]), Long.toString(nowMicros));
    }
    long[] out = new long[keys.length];
    long deadline = System.nanoTime() + timeoutNanos;
    for (int i = 0; i < keys.length; i++) {
      out[i] = awaitUntil(futures[i], deadline);
    }
    return out;
  }

  private <T> T await(RedisFuture<T> f) throws CounterStoreException {
    return awaitUntil(f, System.nanoTime() + timeoutNanos);
  }

  private static <T> T awaitUntil(RedisFuture<T> f, long deadlineNanos) throws CounterStoreException {
    try {
      return f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new CounterStoreException("timeout", "Redis did not answer in time", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      String reason = c instanceof io.lettuce.core.RedisCommandTimeoutException ? "timeout" : "error";
      throw new CounterStoreException(reason, "Redis error: " + (c == null ? e : c).getMessage(), c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CounterStoreException("interrupted", "interrupted while waiting for Redis", e);
    } catch (RuntimeException e) {
      throw new CounterStoreException("error", "Redis error: " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
