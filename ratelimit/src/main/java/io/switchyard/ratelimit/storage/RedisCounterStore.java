package io.switchyard.ratelimit.storage;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters shared by several replicas through Redis, with the reference's key scheme: {@code INCRBY key
 * hits} then {@code EXPIRE key ttl}, every command of one request sent back to back on one connection
 * (pipelined) and awaited together within the timeout. Token buckets run as one Lua script per key.
 *
 * <p>{@link #start} does not need Redis to answer at start (pods start in any order): until it does, every call
 * fails as a Redis error does, and it is tried again with {@link RedisStartup}'s backoff. Once connected, lettuce
 * reconnects on its own after an outage; the listener hears when the connection is lost and when it is back.
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

  private static final Logger log = LoggerFactory.getLogger(RedisCounterStore.class);

  /** Runs a task after a delay: the store's own daemon thread, or a test's queue run by hand. */
  public interface Scheduler extends AutoCloseable {
    void schedule(Runnable task, Duration delay);

    @Override
    void close();

    static Scheduler daemonThread(String name) {
      ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
      });
      return new Scheduler() {
        @Override
        public void schedule(Runnable task, Duration delay) {
          thread.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void close() {
          thread.shutdownNow();
        }
      };
    }
  }

  /**
   * Hears how connecting at start goes, so that the service is not ready until Redis answers. Called on the
   * thread that tried (the caller of {@link #start} for the first attempt, the scheduler's after).
   */
  public interface StartupListener {
    StartupListener NONE = new StartupListener() {
      @Override
      public void waiting(String reason) {}

      @Override
      public void connected() {}

      @Override
      public void gaveUp(String reason) {}
    };

    /** An attempt failed and another is scheduled; {@code reason} names Redis's URL and the failure. */
    void waiting(String reason);

    void connected();

    /** An attempt failed past {@link RedisStartup#maxElapsed}: no more attempts. */
    void gaveUp(String reason);

    /**
     * After {@link #connected}, the connection dropped (lettuce reconnects); {@code reason} names Redis's URL. Called
     * once per outage, on a lettuce thread.
     */
    default void lost(String reason) {}

    /** The connection {@link #lost} is back. */
    default void back() {}
  }

  private record Connection(StatefulRedisConnection<String, String> connection,
      RedisAsyncCommands<String, String> redis, String gcraSha) {}

  private final RedisClient client;
  private final String shownUri;
  private final Duration timeout;
  private final long timeoutNanos;
  private final Clock clock;
  private volatile Connection connection;
  /** Why there is no connection yet; null once connected. */
  private volatile String notConnected = "not connected yet";
  private final RedisStartup startup;
  private final Scheduler scheduler;
  private final StartupListener listener;
  private final DoubleSupplier random;
  private final long startedMillis;
  private int retries;
  private volatile boolean closed;
  /**
   * Orders lost and back (the old channel's event loop and the new one's). Not {@code this}: {@link #close} holds that
   * while lettuce closes the channel, whose event loop would then wait here.
   */
  private final Object connectionEvents = new Object();
  /** The connection dropped after start and has not come back yet; guarded by connectionEvents. */
  private boolean lost;

  private RedisCounterStore(URI uri, Duration timeout, Clock clock, RedisStartup startup, Scheduler scheduler,
      StartupListener listener, DoubleSupplier random) {
    this.client = RedisClient.create(RedisURI.create(uri));
    client.setOptions(ClientOptions.builder()
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .build());
    this.shownUri = withoutCredentials(uri);
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
    this.clock = clock;
    this.startup = startup;
    this.scheduler = scheduler;
    this.listener = listener;
    this.random = random;
    this.startedMillis = clock.millis();
    client.addListener(new RedisConnectionStateListener() {
      @Override
      public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress remote) {
        connectionChanged(handler, true);
      }

      @Override
      public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
        connectionChanged(handler, false);
      }
    });
  }

  /**
   * Follows the connection in use, as envoyproxy/ratelimit's pool trace follows its pool (ConnClosed with none left,
   * ConnCreated): attempts at start and a closing store are not outages, and lettuce's channel going inactive or
   * active again is the only signal (no PING loop).
   */
  private void connectionChanged(RedisChannelHandler<?, ?> handler, boolean up) {
    Connection c = connection;
    synchronized (connectionEvents) {
      if (closed || c == null || c.connection() != handler || lost != up) {
        return;
      }
      lost = !up;
      if (up) {
        log.info("connection to Redis at {} is back", shownUri);
        listener.back();
      } else {
        log.warn("lost the connection to Redis at {}; reconnecting in the background, calls are answered by the "
            + "backend-error policy meanwhile", shownUri);
        listener.lost("Redis at " + shownUri + ": connection lost, reconnecting");
      }
    }
  }

  /** Connects now or throws: for tools and tests that need Redis there and then. */
  public static RedisCounterStore connect(URI uri, Duration timeout) throws CounterStoreException {
    return connect(uri, timeout, Clock.systemUTC());
  }

  public static RedisCounterStore connect(URI uri, Duration timeout, Clock clock) throws CounterStoreException {
    RedisCounterStore store = new RedisCounterStore(uri, timeout, clock, RedisStartup.defaults(), null,
        StartupListener.NONE, () -> 0);
    String failure = store.attempt();
    if (failure != null) {
      store.close();
      throw new CounterStoreException("connect", "cannot connect to Redis at " + store.shownUri + ": " + failure);
    }
    return store;
  }

  /**
   * Tries to connect now and, when Redis does not answer, again on {@code scheduler} with {@code startup}'s
   * backoff until it does (or gives up): the service runs meanwhile, its calls failing as Redis errors do.
   * {@code random} jitters the backoff (values in [0, 1)).
   */
  public static RedisCounterStore start(URI uri, Duration timeout, Clock clock, RedisStartup startup,
      Scheduler scheduler, StartupListener listener, DoubleSupplier random) {
    RedisCounterStore store = new RedisCounterStore(uri, timeout, clock, startup, scheduler, listener, random);
    store.tryConnecting();
    return store;
  }

  /** Null once connected, else why not (names the URL). */
  public String notConnected() {
    return notConnected;
  }

  private void tryConnecting() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    String failure = attempt();
    String reason = "Redis at " + shownUri + " does not answer: " + failure;
    synchronized (this) {
      if (closed) {
        closeConnection();
        return;
      }
      if (failure != null) {
        notConnected = reason;
      }
    }
    if (failure == null) {
      log.info("connected to Redis at {}{}", shownUri, retries == 0 ? "" : " after " + retries + " retries");
      listener.connected();
      return;
    }
    Duration elapsed = Duration.ofMillis(clock.millis() - startedMillis);
    if (startup.givesUpAfter(elapsed)) {
      String why = "Redis at " + shownUri + " did not answer within " + startup.maxElapsed().toMillis()
          + " ms of start, giving up: " + failure;
      log.error(why);
      listener.gaveUp(why);
      return;
    }
    if (retries == 0) {
      // One line, not one per retry: the readiness reason says the rest while it lasts.
      log.warn("Redis at {} does not answer: {}; retrying in the background (backoff {} to {} ms), calls are answered "
          + "by the backend-error policy and health is NOT_SERVING until it does", shownUri, failure,
          startup.initialInterval().toMillis(), startup.maxInterval().toMillis());
    }
    listener.waiting(reason);
    scheduler.schedule(this::tryConnecting, startup.delay(retries++, random.getAsDouble()));
  }

  /** One connection attempt, loading the token bucket script as the reference's PING does: null or why not. */
  private String attempt() {
    StatefulRedisConnection<String, String> c = null;
    try {
      c = client.connect();
      c.setTimeout(timeout);
      RedisAsyncCommands<String, String> redis = c.async();
      String sha = awaitUntil(redis.scriptLoad(GCRA), System.nanoTime() + timeoutNanos);
      connection = new Connection(c, redis, sha);
      notConnected = null;
      return null;
    } catch (CounterStoreException | RuntimeException e) {
      if (c != null) {
        c.close();
      }
      return rootMessage(e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }

  /** The URL as logs and /readyz show it: no password. */
  static String withoutCredentials(URI uri) {
    if (uri.getRawUserInfo() == null) {
      return uri.toString();
    }
    return uri.toString().replace(uri.getRawUserInfo() + "@", "***@");
  }

  private Connection connection() throws CounterStoreException {
    Connection c = connection;
    if (c == null) {
      // Counted and answered as any other Redis error (the reference has no service before it connects).
      throw new CounterStoreException("error", notConnected);
    }
    return c;
  }

  @Override
  public long[] addAndGet(String[] keys, long[] hits, long[] expireAtMillis) throws CounterStoreException {
    RedisAsyncCommands<String, String> redis = connection().redis();
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
    Connection c = connection();
    RedisAsyncCommands<String, String> redis = c.redis();
    String gcraSha = c.gcraSha();
    @SuppressWarnings("unchecked")
    RedisFuture<Long>[] futures = new RedisFuture[keys.length];
    for (int i = 0; i < keys.length; i++) {
      futures[i] = redis.evalsha(gcraSha, ScriptOutputType.INTEGER, new String[] {keys[i]},
          Long.toString(hits[i]), Long.toString(limits[i]), Long.toString(periodMicros[i]), Long.toString(nowMicros));
    }
    long[] out = new long[keys.length];
    long deadline = System.nanoTime() + timeoutNanos;
    for (int i = 0; i < keys.length; i++) {
      try {
        out[i] = awaitUntil(futures[i], deadline);
      } catch (CounterStoreException e) {
        if (!(e.getCause() instanceof RedisNoScriptException)) {
          throw e;
        }
        // Redis lost its scripts (a restart lettuce reconnected to, SCRIPT FLUSH, a failover to a replica that never
        // saw SCRIPT LOAD): EVAL runs the script and caches it again, so the next EVALSHA finds it.
        out[i] = awaitUntil(redis.eval(GCRA, ScriptOutputType.INTEGER, new String[] {keys[i]}, Long.toString(hits[i]),
            Long.toString(limits[i]), Long.toString(periodMicros[i]), Long.toString(nowMicros)), deadline);
      }
    }
    return out;
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
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      closeConnection();
    }
    if (scheduler != null) {
      scheduler.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      c.connection().close();
    }
  }
}
