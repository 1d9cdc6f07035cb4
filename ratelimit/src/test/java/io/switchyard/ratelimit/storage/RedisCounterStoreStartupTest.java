package io.switchyard.ratelimit.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.testing.FreePorts;
import io.switchyard.testing.MutableClock;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Connecting at start to a Redis that does not answer (a port nobody listens on), with a fake clock and scheduler. */
class RedisCounterStoreStartupTest {
  private final URI nowhere = URI.create("redis://127.0.0.1:" + FreePorts.next());
  private final MutableClock clock = MutableClock.ofEpochMilli(1_700_000_000_000L);
  private final List<Duration> scheduled = new ArrayList<>();
  private final List<Runnable> tasks = new ArrayList<>();
  private final List<String> heard = new ArrayList<>();
  private final List<String> logged = new ArrayList<>();
  private final org.apache.logging.log4j.core.Logger logger =
      (org.apache.logging.log4j.core.Logger) LogManager.getLogger(RedisCounterStore.class);
  private final AbstractAppender appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
    @Override
    public void append(LogEvent e) {
      logged.add(e.getLevel() + " " + e.getMessage().getFormattedMessage());
    }
  };

  private final RedisCounterStore.Scheduler scheduler = new RedisCounterStore.Scheduler() {
    @Override
    public void schedule(Runnable task, Duration delay) {
      scheduled.add(delay);
      tasks.add(task);
    }

    @Override
    public void close() {
      heard.add("scheduler closed");
    }
  };

  private final RedisCounterStore.StartupListener listener = new RedisCounterStore.StartupListener() {
    @Override
    public void waiting(String reason) {
      heard.add("waiting: " + reason);
    }

    @Override
    public void connected() {
      heard.add("connected");
    }

    @Override
    public void gaveUp(String reason) {
      heard.add("gave up: " + reason);
    }
  };

  @BeforeEach
  void captureLog() {
    appender.start();
    logger.addAppender(appender);
  }

  @AfterEach
  void stopCapture() {
    logger.removeAppender(appender);
  }

  /** Lets the fake clock pass the last scheduled delay, then runs that retry. */
  private void runNextRetry() {
    clock.advance(scheduled.get(scheduled.size() - 1));
    tasks.remove(0).run();
  }

  @Test
  void unreachableRedisIsRetriedWithTheReferencesBackoffAndLoggedOnce() throws Exception {
    try (RedisCounterStore store = RedisCounterStore.start(nowhere, Duration.ofMillis(200), clock,
        RedisStartup.defaults(), scheduler, listener, () -> 0.5)) {
      assertThat(heard).hasSize(1);
      assertThat(heard.get(0)).startsWith("waiting: Redis at " + nowhere + " does not answer: ");
      assertThat(store.notConnected()).startsWith("Redis at " + nowhere + " does not answer: ");
      assertThat(scheduled).containsExactly(Duration.ofSeconds(1));

      for (int i = 0; i < 7; i++) {
        runNextRetry();
      }
      assertThat(scheduled).containsExactly(Duration.ofSeconds(1), Duration.ofMillis(1500), Duration.ofMillis(2500),
          Duration.ofMillis(4500), Duration.ofMillis(8500), Duration.ofMillis(16500), Duration.ofSeconds(30),
          Duration.ofSeconds(30));
      assertThat(heard).hasSize(8).allMatch(h -> h.startsWith("waiting: Redis at " + nowhere));
      assertThat(logged).hasSize(1);
      assertThat(logged.get(0)).startsWith("WARN Redis at " + nowhere + " does not answer: ");
    }
    assertThat(heard).last().isEqualTo("scheduler closed");
  }

  @Test
  void callsBeforeTheFirstConnectionFailAsRedisErrorsNamingTheUrl() {
    try (RedisCounterStore store = RedisCounterStore.start(nowhere, Duration.ofMillis(200), clock,
        RedisStartup.defaults(), scheduler, listener, () -> 0.5)) {
      assertThatThrownBy(() -> store.addAndGet(new String[] {"k"}, new long[] {1}, new long[] {clock.millis() + 1000}))
          .isInstanceOfSatisfying(CounterStoreException.class, e -> assertThat(e.reason()).isEqualTo("error"))
          .hasMessageStartingWith("Redis at " + nowhere + " does not answer: ");
      assertThatThrownBy(() -> store.takeTokens(new String[] {"k"}, new long[] {1}, new long[] {1},
          new long[] {1_000_000}, clock.millis() * 1000))
          .isInstanceOfSatisfying(CounterStoreException.class, e -> assertThat(e.reason()).isEqualTo("error"));
    }
  }

  @Test
  void aMaxElapsedTimeEndsTheRetriesWithOneErrorLine() {
    RedisStartup startup = RedisStartup.defaults().withMaxElapsed(Duration.ofSeconds(3));
    try (RedisCounterStore store = RedisCounterStore.start(nowhere, Duration.ofMillis(200), clock, startup, scheduler,
        listener, () -> 0.5)) {
      runNextRetry(); // 1 s after start
      assertThat(heard).noneMatch(h -> h.startsWith("gave up"));
      runNextRetry(); // 2.5 s
      runNextRetry(); // 5 s: past 3 s
      assertThat(heard).last().asString()
          .startsWith("gave up: Redis at " + nowhere + " did not answer within 3000 ms of start, giving up: ");
      assertThat(tasks).isEmpty();
      assertThat(scheduled).hasSize(3);
      assertThat(logged).hasSize(2);
      assertThat(logged.get(1)).startsWith("ERROR Redis at " + nowhere + " did not answer within 3000 ms");
      assertThat(store.notConnected()).startsWith("Redis at " + nowhere + " does not answer: ");
    }
  }

  @Test
  void credentialsInTheUrlAreNotShown() {
    assertThat(RedisCounterStore.withoutCredentials(URI.create("redis://user:s3cret@redis:6379/0")))
        .isEqualTo("redis://***@redis:6379/0");
    assertThat(RedisCounterStore.withoutCredentials(URI.create("redis://redis:6379"))).isEqualTo("redis://redis:6379");
  }

  @Test
  void aUrlThatCanNeverWorkIsRefusedUpFront() {
    assertThatThrownBy(() -> StorageOptions.redis(URI.create("http://127.0.0.1:6379"), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a Redis URL")
        .hasMessageContaining("'http://127.0.0.1:6379'");
  }
}
