package io.switchyard.serverkit.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReadinessTest {
  @Test
  void drainingTurnsEveryComponentNotReadyAndTellsItsListeners() {
    Readiness readiness = new Readiness();
    Readiness.Component config = readiness.register("config");
    Readiness.Component kafka = readiness.register("kafka");
    config.ready();
    kafka.notReady("Kafka does not answer");
    List<Boolean> heard = new CopyOnWriteArrayList<>();
    config.onChange(() -> heard.add(config.isReady()));

    readiness.drain();

    assertThat(heard).containsExactly(false);
    assertThat(config.isReady()).isFalse();
    assertThat(readiness.isReady()).isFalse();
    assertThat(readiness.isDraining()).isTrue();
    assertThat(readiness.snapshot())
        .as("a component that was ready says why it no longer is; another keeps its own reason")
        .containsExactly(entry("config", "draining"), entry("kafka", "Kafka does not answer"));
  }

  @Test
  void aComponentThatSaysReadyWhileDrainingStaysNotReady() {
    Readiness readiness = new Readiness();
    Readiness.Component kafka = readiness.register("kafka");
    List<Boolean> heard = new CopyOnWriteArrayList<>();
    kafka.onChange(() -> heard.add(kafka.isReady()));
    readiness.drain();

    kafka.ready();
    Readiness.Component late = readiness.register("late");
    late.ready();

    assertThat(heard).as("the flip is heard, but as not ready").containsExactly(false);
    assertThat(late.isReady()).isFalse();
    assertThat(readiness.isReady()).isFalse();
  }

  @Test
  void drainingTwiceTellsListenersOnce() {
    Readiness readiness = new Readiness();
    Readiness.Component a = readiness.register("a");
    a.ready();
    AtomicInteger calls = new AtomicInteger();
    a.onChange(calls::incrementAndGet);

    readiness.drain();
    readiness.drain();

    assertThat(calls).hasValue(1);
  }

  @Test
  void listenersHearEachFlipOfTheirComponentOnly() {
    Readiness readiness = new Readiness();
    Readiness.Component config = readiness.register("config");
    Readiness.Component kafka = readiness.register("kafka");
    List<Boolean> heard = new CopyOnWriteArrayList<>();
    config.onChange(() -> heard.add(config.isReady()));

    config.ready();
    kafka.ready();
    kafka.notReady("Kafka does not answer");
    config.notReady("config not loaded");
    config.ready();

    assertThat(heard).containsExactly(true, false, true);
    assertThat(readiness.isReady()).isFalse();
  }

  @Test
  void onceReadyRunsOnceAtTheFirstReadyFromThenOn() {
    Readiness readiness = new Readiness();
    Readiness.Component a = readiness.register("a");
    AtomicInteger calls = new AtomicInteger();
    a.notReady("Kafka does not answer");
    a.onceReady(calls::incrementAndGet);
    assertThat(calls).hasValue(0);

    a.ready();
    a.notReady("Kafka does not answer");
    a.ready();
    assertThat(calls).hasValue(1);

    AtomicInteger now = new AtomicInteger();
    a.onceReady(now::incrementAndGet);
    assertThat(now).hasValue(1);
  }

  @Test
  void repeatingTheSameStateIsNotAChange() {
    // Checks such as the Kafka reachability one say ready() every few seconds: only a flip may cost anything.
    Readiness readiness = new Readiness();
    Readiness.Component a = readiness.register("a");
    AtomicInteger calls = new AtomicInteger();
    a.onChange(calls::incrementAndGet);

    a.notReady("starting");
    a.notReady("still starting");
    assertThat(calls).hasValue(0);
    a.ready();
    a.ready();
    assertThat(calls).hasValue(1);
    assertThat(readiness.snapshot()).containsEntry("a", "ready");
  }

  @Test
  void aClosedSubscriptionHearsNothingMore() {
    Readiness readiness = new Readiness();
    Readiness.Component c = readiness.register("c");
    AtomicInteger calls = new AtomicInteger();
    Readiness.Subscription s = c.onChange(calls::incrementAndGet);
    c.ready();
    s.close();
    s.close();
    c.notReady("stopped");
    assertThat(calls).hasValue(1);
  }

  @Test
  void aFailingListenerDoesNotReachTheComponentNorTheOtherListeners() {
    Readiness readiness = new Readiness();
    Readiness.Component c = readiness.register("c");
    AtomicInteger calls = new AtomicInteger();
    c.onChange(() -> {
      throw new IllegalStateException("boom");
    });
    c.onChange(calls::incrementAndGet);
    c.ready();
    assertThat(c.isReady()).isTrue();
    assertThat(calls).hasValue(1);
  }
}
