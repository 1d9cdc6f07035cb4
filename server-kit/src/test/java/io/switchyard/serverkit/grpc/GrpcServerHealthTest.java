package io.switchyard.serverkit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.switchyard.serverkit.health.Readiness;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpcServerHealthTest {
  private GrpcServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server = GrpcServer.builder("test", 0).host("127.0.0.1").shutdownGrace(Duration.ofMillis(200)).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void checkOfAnUnknownServiceIsNotFound() {
    assertThatThrownBy(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService("no.such.Service").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void watchOfAnUnknownServiceSendsServiceUnknownAndStaysOpen() {
    List<ServingStatus> seen = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> ended = new AtomicReference<>();
    HealthGrpc.newStub(channel).watch(HealthCheckRequest.newBuilder().setService("no.such.Service").build(),
        observer(seen, ended));
    await().atMost(Duration.ofSeconds(5)).until(() -> !seen.isEmpty());
    assertThat(seen).containsExactly(ServingStatus.SERVICE_UNKNOWN);
    assertThat(ended.get()).isNull();
  }

  @Test
  void watchOfTheServerSendsServingThenNotServingOnShutdown() {
    List<ServingStatus> seen = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> ended = new AtomicReference<>();
    HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), observer(seen, ended));
    await().atMost(Duration.ofSeconds(5)).until(() -> !seen.isEmpty());
    server.close();
    server = null;
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(ServingStatus.NOT_SERVING));
    assertThat(seen).containsExactly(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
  }

  @Test
  void checkOfTheServerAndOfItsServicesFollowsItsReadinessComponents() throws Exception {
    Readiness readiness = new Readiness();
    Readiness.Component config = readiness.register("config");
    Readiness.Component kafka = readiness.register("kafka");
    Readiness.Component flink = readiness.register("flink-jobs");
    try (GrpcServer s = withReadiness(config, kafka)) {
      ManagedChannel ch = channel(s);
      try {
        assertThat(check(ch, "")).as("config not loaded yet").isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(ch, ECHO)).isEqualTo(ServingStatus.NOT_SERVING);

        config.ready();
        assertThat(check(ch, "")).as("kafka still starting").isEqualTo(ServingStatus.NOT_SERVING);
        kafka.ready();
        assertThat(check(ch, "")).isEqualTo(ServingStatus.SERVING);
        assertThat(check(ch, ECHO)).isEqualTo(ServingStatus.SERVING);
        assertThat(readiness.isReady()).as("/readyz: flink-jobs is still starting").isFalse();

        flink.notReady("restarting");
        assertThat(check(ch, "")).as("another service's component is not this server's").isEqualTo(ServingStatus.SERVING);

        kafka.notReady("Kafka does not answer");
        assertThat(check(ch, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(ch, ECHO)).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(ch, "grpc.health.v1.Health")).as("names that were never registered stay unknown")
            .isNull();
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void anExtraHealthNameFollowsTheSameReadiness() throws Exception {
    Readiness readiness = new Readiness();
    Readiness.Component config = readiness.register("config");
    try (GrpcServer s = GrpcServer.builder("test", 0).host("127.0.0.1").shutdownGrace(Duration.ofMillis(200))
        .addService(ServerServiceDefinition.builder(ECHO).build()).healthName("legacy").readiness(config).build()
        .start()) {
      ManagedChannel ch = channel(s);
      try {
        assertThat(check(ch, "legacy")).isEqualTo(ServingStatus.NOT_SERVING);
        config.ready();
        assertThat(check(ch, "legacy")).isEqualTo(ServingStatus.SERVING);
        assertThat(check(ch, ECHO)).isEqualTo(ServingStatus.SERVING);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void watchStreamsEachReadinessTransition() throws Exception {
    Readiness readiness = new Readiness();
    Readiness.Component config = readiness.register("config");
    try (GrpcServer s = withReadiness(config)) {
      ManagedChannel ch = channel(s);
      try {
        List<ServingStatus> seen = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> ended = new AtomicReference<>();
        HealthGrpc.newStub(ch).watch(HealthCheckRequest.newBuilder().setService(ECHO).build(), observer(seen, ended));
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
        config.ready();
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
        config.notReady("draining");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 3);
        assertThat(seen).containsExactly(ServingStatus.NOT_SERVING, ServingStatus.SERVING, ServingStatus.NOT_SERVING);
        assertThat(ended.get()).isNull();
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void shutdownAnswersNotServingWhileReadinessStillSaysReady() throws Exception {
    Readiness readiness = new Readiness();
    Readiness.Component config = readiness.register("config");
    config.ready();
    ManagedChannel ch = null;
    try (GrpcServer s = withReadiness(config)) {
      ch = channel(s);
      List<ServingStatus> seen = new CopyOnWriteArrayList<>();
      AtomicReference<Throwable> ended = new AtomicReference<>();
      HealthGrpc.newStub(ch).watch(HealthCheckRequest.getDefaultInstance(), observer(seen, ended));
      await().atMost(Duration.ofSeconds(5)).until(() -> !seen.isEmpty());
      s.close();
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(ServingStatus.NOT_SERVING));
      assertThat(seen).containsExactly(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
    } finally {
      if (ch != null) {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void drainingTheProcessAnswersNotServingWhileTheServerStillTakesCalls() throws Exception {
    Readiness readiness = new Readiness();
    Readiness.Component config = readiness.register("config");
    config.ready();
    try (GrpcServer s = withReadiness(config)) {
      ManagedChannel ch = channel(s);
      try {
        assertThat(check(ch, ECHO)).isEqualTo(ServingStatus.SERVING);

        readiness.drain();

        assertThat(check(ch, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(ch, ECHO)).as("a health check is a call: the server still answers it")
            .isEqualTo(ServingStatus.NOT_SERVING);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void withoutReadinessTheServerServesFromStartAsBefore() {
    assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
  }

  private static final String ECHO = "switchyard.test.Echo";

  private static GrpcServer withReadiness(Readiness.Component... components) throws Exception {
    return GrpcServer.builder("test", 0).host("127.0.0.1").shutdownGrace(Duration.ofMillis(200))
        .addService(ServerServiceDefinition.builder(ECHO).build())
        .readiness(components).build().start();
  }

  private static ManagedChannel channel(GrpcServer s) {
    return NettyChannelBuilder.forAddress("127.0.0.1", s.port()).usePlaintext().build();
  }

  /** The status Check answers, null when it answers NOT_FOUND (a name the server does not know). */
  private static ServingStatus check(ManagedChannel ch, String service) {
    try {
      return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  private static StreamObserver<HealthCheckResponse> observer(List<ServingStatus> seen, AtomicReference<Throwable> ended) {
    return new StreamObserver<>() {
      @Override
      public void onNext(HealthCheckResponse r) {
        seen.add(r.getStatus());
      }

      @Override
      public void onError(Throwable t) {
        ended.set(t);
      }

      @Override
      public void onCompleted() {
        ended.set(new IllegalStateException("completed"));
      }
    };
  }
}
