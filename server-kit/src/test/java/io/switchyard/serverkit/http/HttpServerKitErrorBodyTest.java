package io.switchyard.serverkit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The answers the kit itself gives (401 for a missing token, 503 while closing, 500 for a failed handler) are written
 * by the server's error-body hook when it has one, so a protocol with its own error format (OTLP/HTTP's
 * google.rpc.Status) gets it on every error; without one they stay {@code {"error": ...}}.
 */
class HttpServerKitErrorBodyTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private HttpServerKit server;

  /** Writes "status|message" as text/plain: what the kit handed the hook is visible to the client. */
  private static final HttpServerKit.ErrorBody PLAIN = (ex, status, message) ->
      HttpResponses.send(ex, status, "text/plain", (status + "|" + message).getBytes(StandardCharsets.UTF_8));

  private HttpServerKit start(HttpServerKit.ErrorBody errorBody) throws Exception {
    HttpServerKit.Builder b = HttpServerKit.builder("test", 0).host("127.0.0.1").bearerToken("s3cret")
        .shutdownGrace(Duration.ofSeconds(30))
        .route("/guarded", ex -> HttpResponses.text(ex, 200, "ok"), true)
        .route("/boom", ex -> {
          throw new IllegalStateException("bug");
        })
        .route("/slow", ex -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          HttpResponses.text(ex, 200, "done");
        });
    if (errorBody != null) {
      b.errorBody(errorBody);
    }
    server = b.build().start();
    return server;
  }

  @AfterEach
  void stop() {
    release.countDown();
    if (server != null) {
      server.close();
    }
  }

  private CompletableFuture<HttpResponse<String>> get(String path) {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build();
    return client.sendAsync(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aMissingTokenIsAnsweredByTheHookKeepingTheChallenge() throws Exception {
    start(PLAIN);

    HttpResponse<String> r = get("/guarded").get(10, TimeUnit.SECONDS);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(r.body()).isEqualTo("401|missing or invalid bearer token");
  }

  @Test
  void aFailedHandlerIsAnsweredByTheHook() throws Exception {
    start(PLAIN);

    HttpResponse<String> r = get("/boom").get(10, TimeUnit.SECONDS);

    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).isEqualTo("500|internal error: IllegalStateException");
  }

  @Test
  void aRequestWhileClosingIsAnsweredByTheHookKeepingRetryAfter() throws Exception {
    start(PLAIN);
    CompletableFuture<HttpResponse<String>> slow = get("/slow");
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);

    HttpResponse<String> refused = await().atMost(Duration.ofSeconds(10)).until(() -> {
      try {
        return get("/guarded").get(5, TimeUnit.SECONDS);
      } catch (ExecutionException connectionRefusedOrReset) {
        return null;
      }
    }, r -> r != null && r.statusCode() == 503);

    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(refused.body()).isEqualTo("503|test is shutting down; retry");
    release.countDown();
    assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    closing.get(10, TimeUnit.SECONDS);
  }

  @Test
  void withoutAHookTheKitsErrorsStayJson() throws Exception {
    start(null);

    HttpResponse<String> r = get("/guarded").get(10, TimeUnit.SECONDS);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.body()).isEqualTo("{\"error\":\"missing or invalid bearer token\"}");
  }
}
