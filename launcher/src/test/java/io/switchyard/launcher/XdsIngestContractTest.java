package io.switchyard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.switchyard.ingest.mapping.MappedBatch;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.OtlpAccessLogMapper;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.xds.XdsRender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OTel access logger that xds generates and the OTLP log mapper of ingest must agree on attribute names, or
 * every access log Envoy sends is silently ignored as "not an access log". xds and ingest may not depend on each
 * other, so the launcher, which has both, checks the rendered config against the contract published in
 * docs/ingest.md and against the mapper itself.
 */
class XdsIngestContractTest {
  static final Path MESH = Path.of("../config/mesh.yaml");
  static final Path INGEST_DOCS = Path.of("../docs/ingest.md");
  static final long RECEIVED = 1_764_111_600_000_000_000L;

  /** What Envoy would substitute for each operator the rendered config uses. */
  static final Map<String, String> ENVOY_VALUES = Map.ofEntries(
      Map.entry("%RESPONSE_CODE%", "503"),
      Map.entry("%RESPONSE_FLAGS%", "UF"),
      Map.entry("%PROTOCOL%", "HTTP/1.1"),
      Map.entry("%REQ(:METHOD)%", "GET"),
      Map.entry("%REQ(:AUTHORITY)%", "reviews.shop:9080"),
      Map.entry("%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "/reviews/1"),
      Map.entry("%ROUTE_NAME%", "reviews"),
      Map.entry("%GRPC_STATUS_NUMBER%", "-"),
      Map.entry("%BYTES_RECEIVED%", "120"),
      Map.entry("%BYTES_SENT%", "3400"),
      Map.entry("%DURATION%", "12"),
      Map.entry("%START_TIME%", "2026-11-25T23:00:00.123Z"),
      Map.entry("%UPSTREAM_HOST%", "10.0.1.10:9080"),
      Map.entry("%DOWNSTREAM_REMOTE_ADDRESS%", "10.0.9.9:51234"),
      Map.entry("%DOWNSTREAM_LOCAL_ADDRESS%", "10.0.9.20:9080"),
      Map.entry("%UPSTREAM_LOCAL_ADDRESS%", "10.0.9.9:40412"),
      Map.entry("%DOWNSTREAM_PEER_URI_SAN%", "spiffe://cluster.local/ns/web/sa/frontend"),
      Map.entry("%UPSTREAM_PEER_URI_SAN%", "spiffe://cluster.local/ns/shop/sa/reviews"),
      Map.entry("%REQ(X-REQUEST-ID)%", "req-1"),
      Map.entry("%REQ(TRACEPARENT)%", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
      Map.entry("%ACCESS_LOG_TYPE%", "DownstreamEnd"));

  static Map<String, String> logAttributes;
  static Map<String, String> resourceAttributes;
  static Set<String> documentedLogKeys;
  static Set<String> requiredLogKeys;
  static Set<String> documentedResourceKeys;

  @BeforeAll
  static void renderAndReadTheContract() throws Exception {
    JsonNode rendered = new ObjectMapper(new YAMLFactory()).readTree(XdsRender.render(MESH, "edge"));
    JsonNode otel = null;
    for (JsonNode log : rendered.at("/listeners/0/filter_chains/0/filters/0/typed_config/access_log")) {
      if (log.get("name").asText().equals("envoy.access_loggers.open_telemetry")) {
        otel = log.get("typed_config");
      }
    }
    assertThat(otel).as("the edge group of config/mesh.yaml chooses the OTel access logger").isNotNull();
    logAttributes = keyValues(otel.at("/attributes/values"));
    resourceAttributes = keyValues(otel.at("/resource_attributes/values"));

    documentedLogKeys = new LinkedHashSet<>();
    requiredLogKeys = new LinkedHashSet<>();
    documentedResourceKeys = new LinkedHashSet<>();
    String docs = Files.readString(INGEST_DOCS);
    int start = docs.indexOf("## The OTLP access-log attribute contract");
    assertThat(start).as("docs/ingest.md publishes the contract").isPositive();
    String section = docs.substring(start, docs.indexOf("\n## ", start + 1));
    Pattern key = Pattern.compile("`([^`]+)`");
    for (String line : section.split("\n")) {
      if (!line.startsWith("| `") && !line.startsWith("| resource")) {
        continue;
      }
      String[] cells = line.split("(?<!\\\\)\\|");
      String name = cells[1].trim();
      String operator = cells[2].trim();
      if (name.startsWith("resource")) {
        tokens(key, name, documentedResourceKeys);
        continue;
      }
      tokens(key, name, documentedLogKeys);
      if (!operator.startsWith("optional")) {
        // "`traceparent` (or `x_b3_traceid`)": the alternative is not required.
        tokens(key, name.replaceAll("\\(or [^)]*\\)", ""), requiredLogKeys);
      }
    }
    assertThat(requiredLogKeys).contains("upstream_cluster", "response_code");
  }

  @Test
  void everyRenderedAttributeIsOneTheContractNames() {
    assertThat(documentedLogKeys).containsAll(logAttributes.keySet());
    assertThat(documentedResourceKeys).containsAll(resourceAttributes.keySet());
  }

  @Test
  void everyAttributeTheContractRequiresIsRendered() {
    assertThat(logAttributes.keySet()).containsAll(requiredLogKeys);
  }

  @Test
  void ingestsMapperTurnsARenderedLogRecordIntoAnAccessLog() {
    AccessLogRecord r = mapOne(sample(logAttributes));
    assertThat(r.getUpstreamCluster()).isEqualTo("outbound|9080|v1|reviews.shop.svc.cluster.local");
    assertThat(r.getResponseCode()).isEqualTo(503);
    assertThat(r.getResponseFlags()).isEqualTo("UF");
    assertThat(r.getDurationMicros()).isEqualTo(12_000);
    assertThat(r.getRequestBytes()).isEqualTo(120);
    assertThat(r.getResponseBytes()).isEqualTo(3400);
    assertThat(r.getRouteName()).isEqualTo("reviews");
    assertThat(r.getRequestId()).isEqualTo("req-1");
    assertThat(r.getNodeCluster()).isEqualTo("edge");
  }

  /** Proves the mapper reads each rendered key under that exact name: leaving it out changes what ingest records. */
  @Test
  void ingestsMapperReadsEveryRenderedAttribute() {
    List<Map<String, String>> samples = List.of(
        sample(logAttributes),
        // Inbound (reporter = destination): the downstream peer and address describe the source.
        with(sample(logAttributes), Map.of("upstream_cluster", "inbound|9080||", "grpc_status", "0")),
        // No method and no gRPC status: only protocol tells HTTP from TCP.
        with(sample(logAttributes), Map.of("method", "-")),
        // A cluster without a service name: the upstream peer's SPIFFE id gives the destination namespace.
        with(sample(logAttributes), Map.of("upstream_cluster", "PassthroughCluster")),
        // A periodic entry of a long request: skipped only while its type is read.
        with(sample(logAttributes), Map.of("access_log_type", "DownstreamPeriodic")));
    List<String> unread = new ArrayList<>();
    for (String key : logAttributes.keySet()) {
      boolean read = false;
      for (Map<String, String> s : samples) {
        Map<String, String> without = new LinkedHashMap<>(s);
        without.remove(key);
        MappedBatch<AccessLogRecord> full = map(s);
        MappedBatch<AccessLogRecord> less = map(without);
        read |= !full.equals(less);
      }
      if (!read) {
        unread.add(key);
      }
    }
    assertThat(unread).as("rendered attributes ingest never reads").isEmpty();
  }

  private static Map<String, String> sample(Map<String, String> attributes) {
    Map<String, String> out = new LinkedHashMap<>();
    attributes.forEach((k, operator) -> {
      if (operator.equals("%UPSTREAM_CLUSTER_RAW%")) {
        out.put(k, "outbound|9080|v1|reviews.shop.svc.cluster.local");
      } else {
        assertThat(ENVOY_VALUES).as("a sample value for " + operator).containsKey(operator);
        out.put(k, ENVOY_VALUES.get(operator));
      }
    });
    return out;
  }

  private static Map<String, String> with(Map<String, String> base, Map<String, String> changes) {
    Map<String, String> out = new LinkedHashMap<>(base);
    out.putAll(changes);
    return out;
  }

  private static AccessLogRecord mapOne(Map<String, String> attributes) {
    MappedBatch<AccessLogRecord> batch = map(attributes);
    assertThat(batch.rejected()).as(batch.firstError()).isZero();
    assertThat(batch.ignored()).isZero();
    assertThat(batch.records()).hasSize(1);
    return batch.records().get(0);
  }

  private static MappedBatch<AccessLogRecord> map(Map<String, String> attributes) {
    LogRecord.Builder log = LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue("GET /reviews/1 503"));
    attributes.forEach((k, v) -> log.addAttributes(kv(k, v)));
    // Envoy's logger adds node_name and cluster_name itself; the rest is what xds rendered.
    Resource.Builder resource = Resource.newBuilder()
        .addAttributes(kv("node_name", "sidecar~10.0.0.5~gateway-7d4f9c-abcde.shop~shop.svc.cluster.local"))
        .addAttributes(kv("cluster_name", "edge"));
    resourceAttributes.forEach((k, v) -> resource.addAttributes(kv(k, v)));
    ExportLogsServiceRequest request = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().setResource(resource)
            .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(log)))
        .build();
    return new OtlpAccessLogMapper(MappingOptions.DEFAULTS).map(request, RECEIVED);
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private static Map<String, String> keyValues(JsonNode values) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode kv : values) {
      out.put(kv.get("key").asText(), kv.at("/value/string_value").asText());
    }
    return out;
  }

  private static void tokens(Pattern p, String text, Set<String> into) {
    Matcher m = p.matcher(text);
    while (m.find()) {
      into.add(m.group(1));
    }
  }
}
