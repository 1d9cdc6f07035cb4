package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
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

  private static int readyz(SwitchyardProcess p) throws InterruptedException {
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.admin().port() + "/readyz")).build();
    try {
      return HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
