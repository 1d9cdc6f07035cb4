package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.switchyard.serverkit.health.Readiness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SwitchyardProcessTest {
  private final ByteArrayOutputStream lines = new ByteArrayOutputStream();

  @Test
  void aDrainAnswersNotReadyWhileEverythingStillRunsThenCloses() throws Exception {
    SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
    Readiness.Component service = p.readiness().register("ingest");
    service.ready();
    AtomicBoolean serverClosed = new AtomicBoolean();
    p.own("ingest", () -> serverClosed.set(true));
    List<String> duringDrain = new ArrayList<>();

    p.stop(Duration.ofSeconds(5), d -> {
      duringDrain.add("paused " + d.toSeconds() + " s");
      duringDrain.add("readyz " + readyz(p));
      duringDrain.add("server closed " + serverClosed.get());
    });

    assertThat(duringDrain).containsExactly("paused 5 s", "readyz 503", "server closed false");
    assertThat(serverClosed).isTrue();
    assertThat(lines.toString(StandardCharsets.UTF_8)).contains("switchyard: draining for 5 s").contains("switchyard: stopped");
  }

  @Test
  void withoutADrainTheProcessClosesAtOnce() throws Exception {
    SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
    AtomicBoolean paused = new AtomicBoolean();

    p.stop(Duration.ZERO, d -> paused.set(true));

    assertThat(paused).isFalse();
    assertThat(p.readiness().isDraining()).isFalse();
    assertThat(lines.toString(StandardCharsets.UTF_8)).doesNotContain("draining").contains("switchyard: stopped");
  }

  @Test
  void anInterruptedDrainStillClosesEverything() throws Exception {
    SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
    AtomicBoolean closed = new AtomicBoolean();
    p.own("server", () -> closed.set(true));

    p.stop(Duration.ofSeconds(5), d -> {
      throw new InterruptedException("second signal");
    });

    assertThat(closed).isTrue();
    assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
  }

  /**
   * The admin endpoint is up before the first component registers: with nothing registered, /readyz answered 200
   * (`{"ready":true,"components":{}}`), and between two components of `up` it answered 200 for the ones started so
   * far, so a readiness probe could send traffic to a restarted pod before its listeners existed.
   */
  @Test
  void aProcessIsNotReadyWhileItIsStillStartingItsComponents() throws Exception {
    SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
    try {
      assertThat(readyz(p)).isEqualTo(503);
      Readiness.Component kafka = p.readiness().register("kafka");
      kafka.ready();
      assertThat(readyz(p)).as("only the first of its components is up").isEqualTo(503);

      p.started();
      assertThat(readyz(p)).isEqualTo(200);
    } finally {
      p.close();
    }
  }

  /**
   * A SIGTERM while `up` still started its components ended the JVM with nothing closed: the broker not shut down,
   * the Flink child left to notice alone. The stop (the hook's path) now waits for the start in progress to
   * return, then closes everything started, in reverse order, once; what the start owns after that is closed at
   * once and never started.
   */
  @Test
  void aStopDuringAStartLetsThatStartReturnThenClosesEverythingStartedInReverseOrderOnce() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch inStoreStart = new CountDownLatch(1);
    CountDownLatch storeStartReturns = new CountDownLatch(1);
    Starter starter = startInAThread(p -> {
      p.own("kafka", () -> events.add("kafka closed"));
      p.own("store", () -> events.add("store closed"));
      inStoreStart.countDown();
      storeStartReturns.await();
      events.add("store started");
      p.announce("store", "somewhere");
      p.own("ingest", () -> events.add("ingest closed"));
      events.add("ingest started");
      p.started();
    });
    assertThat(inStoreStart.await(30, TimeUnit.SECONDS)).isTrue();

    Thread hook = new Thread(() -> starter.process().stop(Duration.ZERO, d -> { }), "hook");
    hook.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> hook.getState() == Thread.State.TIMED_WAITING || !hook.isAlive());
    assertThat(events).as("nothing is closed under the start in progress").isEmpty();
    storeStartReturns.countDown();
    starter.thread.join(30_000);
    hook.join(30_000);

    assertThat(hook.isAlive()).isFalse();
    assertThat(events).containsExactly("store started", "ingest closed", "store closed", "kafka closed");
    assertThat(starter.failure.get()).hasMessageContaining("stopped while starting (ingest)");
    String out = lines.toString(StandardCharsets.UTF_8);
    assertThat(out).doesNotContain("store          ready");
    assertThat(out.split("switchyard: stopped", -1)).as("one stopped line").hasSize(2);
  }

  @Test
  void aComponentOwnedOnceTheProcessClosedIsClosedAndRefused() throws Exception {
    SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
    p.close();
    AtomicBoolean closed = new AtomicBoolean();

    assertThatThrownBy(() -> p.own("late", () -> closed.set(true))).hasMessageContaining("stopped while starting (late)");
    assertThat(closed).isTrue();
  }

  /** A start waiting on something (a broker that does not answer) is interrupted: the stop does not wait for ever. */
  @Test
  void aStartThatWaitsIsInterruptedByTheStopAndWhatStartedIsClosed() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch waiting = new CountDownLatch(1);
    Starter starter = startInAThread(p -> {
      p.own("kafka", () -> events.add("kafka closed"));
      waiting.countDown();
      new CountDownLatch(1).await();
      events.add("never");
    });
    assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();

    starter.process().stop(Duration.ZERO, d -> { }, Duration.ZERO, Duration.ofMinutes(5));
    starter.thread.join(30_000);

    assertThat(starter.failure.get()).isInstanceOf(InterruptedException.class);
    assertThat(events).containsExactly("kafka closed");
    assertThat(lines.toString(StandardCharsets.UTF_8)).contains("switchyard: stopped");
  }

  /** A start that ignores its interrupt does not hold the stop: everything is closed under it, and it after. */
  @Test
  void aStartThatNeverReturnsIsClosedUnderItOnceTheWaitIsOver() throws Exception {
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch inStart = new CountDownLatch(1);
    CountDownLatch startReturns = new CountDownLatch(1);
    Starter starter = startInAThread(p -> {
      p.own("kafka", () -> events.add("kafka closed"));
      p.own("store", () -> events.add("store closed"));
      inStart.countDown();
      while (true) {
        try {
          startReturns.await();
          break;
        } catch (InterruptedException ignored) {
          // a start that does not give up
        }
      }
      p.own("ingest", () -> events.add("ingest closed"));
    });
    assertThat(inStart.await(30, TimeUnit.SECONDS)).isTrue();

    starter.process().stop(Duration.ZERO, d -> { }, Duration.ZERO, Duration.ZERO);
    assertThat(events).containsExactly("store closed", "kafka closed");
    startReturns.countDown();
    starter.thread.join(30_000);

    assertThat(events).containsExactly("store closed", "kafka closed", "ingest closed");
    assertThat(starter.failure.get()).hasMessageContaining("stopped while starting (ingest)");
  }

  /** Once everything started, a stop from another thread (the hook) drains as before. */
  @Test
  void aStopOnceEverythingStartedDrainsFirst() throws Exception {
    SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
    p.started();
    List<String> paused = new ArrayList<>();
    Thread hook = new Thread(() -> p.stop(Duration.ofSeconds(3), d -> paused.add("paused " + d.toSeconds() + " s")), "hook");
    hook.start();
    hook.join(30_000);

    assertThat(paused).containsExactly("paused 3 s");
    assertThat(lines.toString(StandardCharsets.UTF_8)).contains("switchyard: draining for 3 s").contains("switchyard: stopped");
  }

  /** A start as a command runs it, on a thread of its own: a failed start closes the process, as the commands do. */
  private record Starter(Thread thread, AtomicReference<SwitchyardProcess> started, AtomicReference<Throwable> failure) {
    SwitchyardProcess process() {
      return started.get();
    }
  }

  @FunctionalInterface
  private interface StartSteps {
    void run(SwitchyardProcess p) throws Exception;
  }

  private Starter startInAThread(StartSteps steps) {
    AtomicReference<SwitchyardProcess> process = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(() -> {
      SwitchyardProcess p = null;
      try {
        p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
        process.set(p);
        steps.run(p);
      } catch (Exception e) {
        failure.set(e);
        if (p != null) {
          p.close();
        }
      }
    }, "starter");
    thread.start();
    return new Starter(thread, process, failure);
  }

  private static int readyz(SwitchyardProcess p) throws InterruptedException {
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.admin().port() + "/readyz")).build();
    try {
      return HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
