package io.switchyard.serverkit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HttpServerKitShutdownTest {
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final HttpClient client = HttpClient.newHttpClient();

  private HttpServerKit server(Duration grace) throws Exception {
    return HttpServerKit.builder("test", 0).host("127.0.0.1").shutdownGrace(grace)
        .route("/slow", ex -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          HttpResponses.text(ex, 200, "done");
        })
        .route("/fast", ex -> HttpResponses.text(ex, 200, "fast"))
        .build().start();
  }

  private CompletableFuture<HttpResponse<String>> get(HttpServerKit s, String path) {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).build();
    return client.sendAsync(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void closeLetsARequestInFlightFinishAndRefusesNewOnesMeanwhile() throws Exception {
    HttpServerKit s = server(Duration.ofSeconds(30));
    CompletableFuture<HttpResponse<String>> slow = get(s, "/slow");
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> closing = CompletableFuture.runAsync(s::close);
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      try {
        return get(s, "/fast").get(5, TimeUnit.SECONDS).statusCode() == 503;
      } catch (ExecutionException connectionRefusedOrReset) {
        return false;
      }
    });
    HttpResponse<String> refused = get(s, "/fast").get(5, TimeUnit.SECONDS);
    assertThat(refused.body()).contains("shutting down");
    assertThat(closing).as("still waiting for the request in flight").isNotDone();

    release.countDown();

    HttpResponse<String> finished = slow.get(10, TimeUnit.SECONDS);
    assertThat(finished.statusCode()).isEqualTo(200);
    assertThat(finished.body()).isEqualTo("done");
    closing.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aRequestThatOutlivesTheGraceIsCutOff() throws Exception {
    HttpServerKit s = server(Duration.ZERO);
    CompletableFuture<HttpResponse<String>> slow = get(s, "/slow");
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> closing = CompletableFuture.runAsync(s::close);
    await().atMost(Duration.ofSeconds(10)).until(slow::isDone);
    release.countDown();

    assertThat(slow).isCompletedExceptionally();
    closing.get(10, TimeUnit.SECONDS);
  }
}
