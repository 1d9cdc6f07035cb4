package io.switchyard.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.switchyard.serverkit.grpc.GrpcServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo against recording servers that speak Switchyard's four interfaces: proves the demo sends what
 * sidecars and SDKs send (the end-to-end test of issue 9 runs it against the real services).
 */
class StorefrontDemoIT {
  private final List<CheckRequest> checks = new CopyOnWriteArrayList<>();
  private final List<RateLimitRequest> limits = new CopyOnWriteArrayList<>();
  private final List<StreamAccessLogsMessage> alsFirstMessages = new CopyOnWriteArrayList<>();
  private final List<StreamAccessLogsMessage> alsMessages = new CopyOnWriteArrayList<>();
  private final Set<String> spanServices = ConcurrentHashMap.newKeySet();
  private GrpcServer server;

  @BeforeEach
  void startRecordingServers() throws Exception {
    server = GrpcServer.builder("recorder", 0).host("127.0.0.1")
        .addService(new AuthorizationGrpc.AuthorizationImplBase() {
          @Override
          public void check(CheckRequest req, StreamObserver<CheckResponse> out) {
            checks.add(req);
            boolean admin = req.getAttributes().getRequest().getHttp().getPath().startsWith("/admin");
            out.onNext(admin
                ? CheckResponse.newBuilder().setStatus(com.google.rpc.Status.newBuilder().setCode(7))
                    .setDeniedResponse(DeniedHttpResponse.newBuilder().setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden))).build()
                : CheckResponse.newBuilder().setStatus(com.google.rpc.Status.newBuilder().setCode(0)).build());
            out.onCompleted();
          }
        })
        .addService(new RateLimitServiceGrpc.RateLimitServiceImplBase() {
          @Override
          public void shouldRateLimit(RateLimitRequest req, StreamObserver<RateLimitResponse> out) {
            limits.add(req);
            out.onNext(RateLimitResponse.newBuilder().setOverallCode(RateLimitResponse.Code.OK).build());
            out.onCompleted();
          }
        })
        .addService(new AccessLogServiceGrpc.AccessLogServiceImplBase() {
          @Override
          public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(StreamObserver<StreamAccessLogsResponse> out) {
            return new StreamObserver<>() {
              boolean first = true;

              @Override
              public void onNext(StreamAccessLogsMessage m) {
                if (first) {
                  alsFirstMessages.add(m);
                  first = false;
                }
                alsMessages.add(m);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                out.onCompleted();
              }
            };
          }
        })
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest req, StreamObserver<ExportTraceServiceResponse> out) {
            req.getResourceSpansList().forEach(rs -> rs.getResource().getAttributesList().stream()
                .filter(a -> a.getKey().equals("service.name")).forEach(a -> spanServices.add(a.getValue().getStringValue())));
            out.onNext(ExportTraceServiceResponse.getDefaultInstance());
            out.onCompleted();
          }
        })
        .build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void sendsWhatSidecarsAndSdksSend() throws Exception {
    int port = server.port();
    DemoSettings settings = DemoSettings.defaults().withPorts(port, port, port, port, 0)
        .with(100, DemoSettings.Scenario.STEADY, 1, Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(3));
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    try (StorefrontDemo demo = new StorefrontDemo(settings, new PrintStream(progress, true, StandardCharsets.UTF_8), false).start()) {
      demo.awaitDone();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(spanServices)
          .as("services seen in spans; demo counters: %s", demo.counters().progressLine())
          .contains("frontend", "catalog", "checkout", "payments", "shipping"));
      assertThat(demo.counters().sent()).isPositive();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(checks).hasSize((int) demo.counters().sent()));
      assertThat(demo.counters().denied()).isPositive();
      assertThat(demo.counters().allowed()).isPositive();
    }
    assertThat(checks).allSatisfy(c -> {
      assertThat(c.getAttributes().getContextExtensionsMap()).containsEntry("namespace", "storefront").containsEntry("workload", "frontend");
      assertThat(c.getAttributes().getDestination().getPrincipal()).isEqualTo("spiffe://cluster.local/ns/storefront/sa/frontend");
    });
    assertThat(checks).anySatisfy(c -> assertThat(c.getAttributes().getRequest().getHttp().getHeadersMap()).containsKey("authorization"));
    assertThat(limits).allSatisfy(l -> assertThat(l.getDomain()).isEqualTo("storefront"));
    assertThat(alsFirstMessages).isNotEmpty().allSatisfy(m -> assertThat(m.getIdentifier().getNode().getId()).matches("(sidecar|router)~10\\.8\\.0\\.\\d+~.+"));
    // As Istio's proxies send them: the node metadata ingest reads the workload, app and version from.
    assertThat(alsFirstMessages).allSatisfy(m -> {
      var node = m.getIdentifier().getNode();
      var meta = node.getMetadata().getFieldsMap();
      var labels = meta.get("LABELS").getStructValue().getFieldsMap();
      boolean gateway = node.getId().startsWith("router~");
      assertThat(meta.get("NAMESPACE").getStringValue()).isEqualTo(gateway ? "istio-system" : "storefront");
      assertThat(node.getId()).contains("~" + meta.get("NAME").getStringValue() + ".");
      assertThat(labels.get("service.istio.io/canonical-name").getStringValue())
          .isEqualTo(meta.get("WORKLOAD_NAME").getStringValue()).isEqualTo(labels.get("app").getStringValue());
      assertThat(labels.get("service.istio.io/canonical-revision").getStringValue()).isEqualTo(gateway ? "latest" : "v1");
    });
    assertThat(alsMessages).anySatisfy(m -> assertThat(m.getHttpLogs().getLogEntryList())
        .anySatisfy(e -> assertThat(e.getCommonProperties().getUpstreamCluster()).startsWith("outbound|8080||")));
    assertThat(alsMessages).anySatisfy(m -> assertThat(m.getHttpLogs().getLogEntryList())
        .anySatisfy(e -> assertThat(e.getCommonProperties().getUpstreamCluster()).isEqualTo("inbound|8080||")));
    assertThat(alsMessages).filteredOn(m -> !alsFirstMessages.contains(m)).allSatisfy(m -> assertThat(m.hasIdentifier()).isFalse());
  }
}
