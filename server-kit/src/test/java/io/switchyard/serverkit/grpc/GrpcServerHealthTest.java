package io.switchyard.serverkit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
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
