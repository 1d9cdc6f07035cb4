package io.switchyard.extauthz.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.ExtAuthzServer;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AuthzDecisionRecord;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.SharedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Decisions made over gRPC arrive as AuthzDecisionRecords in the embedded Kafka, headers redacted. */
class DecisionLogKafkaIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  @TempDir Path dir;

  @Test
  void decisionsArriveInTheDecisionTopic() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    String topic = Topics.AUTHZ_DECISIONS.withPrefix(prefix).name();
    Files.writeString(dir.resolve("p.yaml"), "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
        + "metadata: {name: deny-admin, namespace: foo}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {paths: [\"/admin*\"]}}]\n---\n"
        + "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: audit-all, namespace: foo}\n"
        + "spec:\n  action: AUDIT\n  rules: [{}]\n");
    ExtAuthzConfig config = ExtAuthzConfig.defaults(dir).withListener("127.0.0.1", 0, null)
        .withTimings(Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ZERO)
        .withDecisionLog(true, kafka.bootstrapServers(), topic, 1000, Set.of("authorization"));
    try (ExtAuthzServer server = new ExtAuthzServer(config, new Metrics(new PrometheusRegistry()), Clock.systemUTC(), null).start()) {
      ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(ch);
      for (String path : List.of("/admin/x", "/public", "/public")) {
        stub.check(CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
            .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                .setMethod("GET").setHost("shop").setPath(path).putHeaders("authorization", "Bearer top-secret")))
            .putContextExtensions("namespace", "foo").putContextExtensions("workload", "shop")).build());
      }
      ch.shutdownNow();
    }
    List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(topic, 3, Duration.ofSeconds(30));
    assertThat(got).hasSize(3);
    List<AuthzDecisionRecord> records = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : got) {
      assertThat(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("foo/shop");
      records.add(AuthzDecisionRecord.parseFrom(r.value()));
    }
    records.sort(java.util.Comparator.comparing(AuthzDecisionRecord::getTimeUnixNano));
    assertThat(records).extracting(AuthzDecisionRecord::getResult).containsExactlyInAnyOrder(AuthzDecisionRecord.Result.RESULT_DENY,
        AuthzDecisionRecord.Result.RESULT_ALLOW, AuthzDecisionRecord.Result.RESULT_ALLOW);
    AuthzDecisionRecord deny = records.stream().filter(r -> r.getResult() == AuthzDecisionRecord.Result.RESULT_DENY).findFirst().orElseThrow();
    assertThat(deny.getMatchedPolicy()).isEqualTo("foo/deny-admin");
    assertThat(deny.getAuditPoliciesList()).containsExactly("foo/audit-all");
    assertThat(deny.getHeadersMap()).containsEntry("authorization", DecisionLogger.REDACTED);
    assertThat(records).extracting(AuthzDecisionRecord::getCacheHit).contains(true);
    assertThat(records).allSatisfy(r -> assertThat(r.getDecisionId()).isNotEmpty());
  }
}
