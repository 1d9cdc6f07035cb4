package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.switchyard.model.v1.SpanRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OTLP spans to {@link SpanRecord}s. Keeps the fields service graphs need (old and new semantic-convention names
 * both read), rejects spans with ids that no reader could use.
 */
public final class SpanMapper {
  static final int SCHEMA_VERSION = 1;

  /**
   * The most links a CONSUMER span keeps: the first this many with valid ids, in order (OpenTelemetry SDKs' default
   * link count limit is the same). Valid links past it are dropped and counted in the batch's
   * {@link MappedBatch#linksOverLimit}, not by counting the span as truncated: that count and the client's warning
   * are about the attribute limits.
   */
  static final int MAX_LINKS = 128;
  /** The sizes of W3C trace and span ids (a span's own and its links'). */
  static final int TRACE_ID_SIZE = 16;
  static final int SPAN_ID_SIZE = 8;

  /** Every span attribute {@link #toRecord} and {@link SamplingProbability} read. */
  static final Attributes.KeySet SPAN_KEYS = new Attributes.KeySet("istio.namespace", "peer.service",
      "server.address", "net.peer.name", "network.peer.address", "net.sock.peer.addr", "net.peer.ip", "db.system",
      "db.system.name", "db.name", "db.namespace", "messaging.system", "messaging.destination.name",
      "messaging.destination", "http.response.status_code", "http.status_code", "http.request.method", "http.method",
      "http.route", "rpc.grpc.status_code", "grpc.status_code", "istio.workload", "k8s.deployment.name",
      "k8s.statefulset.name", "k8s.daemonset.name", "istio.canonical_service", "upstream_cluster",
      "response_flags", SamplingProbability.ATTRIBUTE);

  private final MappingOptions options;

  public SpanMapper(MappingOptions options) {
    this.options = options;
  }

  public MappingOptions options() {
    return options;
  }

  public MappedBatch<SpanRecord> map(ExportTraceServiceRequest request, long receivedUnixNano) {
    List<SpanRecord> out = new ArrayList<>();
    long rejected = 0;
    long truncated = 0;
    DroppedLinks droppedLinks = new DroppedLinks();
    String firstError = "";
    for (int r = 0; r < request.getResourceSpansCount(); r++) {
      ResourceSpans rs = request.getResourceSpans(r);
      Attributes resource = Attributes.of(rs.getResource().getAttributesList());
      for (int s = 0; s < rs.getScopeSpansCount(); s++) {
        ScopeSpans ss = rs.getScopeSpans(s);
        for (int i = 0; i < ss.getSpansCount(); i++) {
          Span span = ss.getSpans(i);
          String problem = validate(span);
          if (problem != null) {
            rejected++;
            if (firstError.isEmpty()) {
              firstError = "resource_spans[" + r + "].scope_spans[" + s + "].spans[" + i + "]: " + problem;
            }
            continue;
          }
          Attributes attrs = options.keepAttributes()
              ? Attributes.of(span.getAttributesList(), options.maxAttributes(), options.maxValueLength())
              : Attributes.select(span.getAttributesList(), SPAN_KEYS, options.maxAttributes(),
                  options.maxValueLength());
          if (attrs.overLimit() || span.getName().length() > options.maxValueLength()) {
            truncated++;
          }
          out.add(toRecord(resource, span, attrs, receivedUnixNano, droppedLinks));
        }
      }
    }
    return new MappedBatch<>(out, rejected, 0, firstError, truncated, droppedLinks.overLimit, droppedLinks.invalid);
  }

  /** The links of a batch's CONSUMER spans that {@link #links} did not keep, by why. */
  static final class DroppedLinks {
    long overLimit;
    long invalid;
  }

  /** Null when the span is usable, else what is wrong with it (naming the field). */
  static String validate(Span span) {
    if (span.getTraceId().size() != TRACE_ID_SIZE) {
      return "trace_id must be 16 bytes, got " + span.getTraceId().size();
    }
    if (allZero(span.getTraceId())) {
      return "trace_id must not be all zeros";
    }
    if (span.getSpanId().size() != SPAN_ID_SIZE) {
      return "span_id must be 8 bytes, got " + span.getSpanId().size();
    }
    if (allZero(span.getSpanId())) {
      return "span_id must not be all zeros";
    }
    int parent = span.getParentSpanId().size();
    if (parent != 0 && parent != 8) {
      return "parent_span_id must be empty or 8 bytes, got " + parent;
    }
    // Timestamps are not checked: a span with a 0 or backwards time is kept, as the Collector's OTLP receiver keeps
    // it, rather than lost. Its ids still pair it; flink-jobs takes its latency as unknown (0 time) or 0 (backwards).
    return null;
  }

  private SpanRecord toRecord(Attributes resource, Span span, Attributes attrs, long receivedUnixNano,
      DroppedLinks droppedLinks) {
    SpanRecord.Builder b = SpanRecord.newBuilder()
        .setSchemaVersion(SCHEMA_VERSION)
        .setTraceId(span.getTraceId())
        .setSpanId(span.getSpanId())
        // The all-zero id is W3C's "no span": some SDK exporters (opentelemetry-cpp, early Java and .NET ones)
        // send it for a root span, and the Collector's pdata reads it as empty too. Kept, the root server span
        // waited for a client that never comes and was dropped instead of counted as an edge from `user`.
        .setParentSpanId(allZero(span.getParentSpanId()) ? ByteString.EMPTY : span.getParentSpanId())
        .setServiceName(cut(resource.string("service.name")))
        .setKind(kind(span.getKind()))
        .setName(cut(span.getName()))
        .setStartTimeUnixNano(span.getStartTimeUnixNano())
        .setEndTimeUnixNano(span.getEndTimeUnixNano())
        .setStatus(status(span.getStatus()))
        .setSamplingProbability(SamplingProbability.of(span.getTraceState(), attrs))
        .setReceivedUnixNano(receivedUnixNano);

    String istioNamespace = cut(either(attrs, resource, "istio.namespace"));
    String namespace = cut(resource.string("service.namespace"));
    b.setServiceNamespace(namespace.isEmpty() ? istioNamespace : namespace);

    b.setPeerService(cut(attrs.string("peer.service")));
    b.setServerAddress(cut(attrs.string("server.address", "net.peer.name")));
    b.setNetworkPeerAddress(cut(attrs.string("network.peer.address", "net.sock.peer.addr", "net.peer.ip")));
    b.setDbSystem(cut(attrs.string("db.system", "db.system.name")));
    b.setDbName(cut(attrs.string("db.name", "db.namespace")));
    b.setMessagingSystem(cut(attrs.string("messaging.system")));
    b.setMessagingDestination(cut(attrs.string("messaging.destination.name", "messaging.destination")));
    b.setHttpStatusCode(httpStatus(attrs.number(0, "http.response.status_code", "http.status_code")));
    b.setHttpMethod(cut(attrs.string("http.request.method", "http.method")));
    b.setHttpRoute(cut(attrs.string("http.route")));
    b.setRpcGrpcStatusCode((int) attrs.number(-1, "rpc.grpc.status_code", "grpc.status_code"));
    b.setIstioWorkload(cut(either(attrs, resource,
        "istio.workload", "k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name")));
    b.setIstioNamespace(istioNamespace.isEmpty() ? cut(resource.string("k8s.namespace.name")) : istioNamespace);
    b.setIstioCanonicalService(cut(either(attrs, resource, "istio.canonical_service")));
    b.setUpstreamCluster(cut(attrs.string("upstream_cluster")));
    b.setResponseFlags(cut(responseFlags(attrs.string("response_flags"))));

    if (span.getKind() == Span.SpanKind.SPAN_KIND_CONSUMER) {
      links(b, span, droppedLinks);
    }

    if (options.keepAttributes()) {
      keep(b, resource);
      keep(b, attrs);
    }
    return b.build();
  }

  /**
   * A CONSUMER span's links to the spans that created its messages, for the service graph's messaging edges: the
   * first {@link #MAX_LINKS} whose ids are valid as a span's own must be (16 and 8 bytes, not all zero), in order,
   * duplicates and a link to the span's own parent included; an invalid link is skipped, the span kept. Only the
   * ids are kept (no trace_state, attributes or flags). Every link not kept is added to {@code dropped}: an invalid
   * one as invalid wherever it is (past the cap too, so that count does not depend on the cap), a valid one past the
   * cap as over the limit; so the two add up to the links the record lacks.
   */
  private static void links(SpanRecord.Builder b, Span span, DroppedLinks dropped) {
    int kept = 0;
    for (int i = 0; i < span.getLinksCount(); i++) {
      Span.Link link = span.getLinks(i);
      if (!validId(link.getTraceId(), TRACE_ID_SIZE) || !validId(link.getSpanId(), SPAN_ID_SIZE)) {
        dropped.invalid++;
      } else if (kept < MAX_LINKS) {
        b.addLinks(SpanRecord.Link.newBuilder().setTraceId(link.getTraceId()).setSpanId(link.getSpanId()));
        kept++;
      } else {
        dropped.overLimit++;
      }
    }
  }

  /**
   * Envoy's tracers tag every span with {@code response_flags}, "-" when there were none: that is written as empty,
   * as the access-log mappers do, so the record carries nothing for the common case.
   */
  static String responseFlags(String tag) {
    return "-".equals(tag) ? "" : tag;
  }

  private void keep(SpanRecord.Builder b, Attributes attrs) {
    for (Map.Entry<String, AnyValue> e : attrs.asMap().entrySet()) {
      if (b.getAttributesCount() >= options.maxAttributes() && !b.containsAttributes(e.getKey())) {
        return;
      }
      b.putAttributes(e.getKey(), cut(Attributes.stringify(e.getValue())));
    }
  }

  /** Span attribute first, then the resource's: Istio proxies put identity on spans, SDKs on the resource. */
  private static String either(Attributes span, Attributes resource, String... keys) {
    String v = span.string(keys);
    return v.isEmpty() ? resource.string(keys) : v;
  }

  private String cut(String s) {
    return options.cut(s);
  }

  /**
   * An HTTP status is three digits; anything else is no status (0). Cast as it came, 4294967799 became 503 (a
   * failure) and 99999999999 a response class "12157521xx".
   */
  static int httpStatus(long value) {
    return value >= 100 && value <= 999 ? (int) value : 0;
  }

  /** W3C validity, as {@link #validate} checks a span's own trace and span id: {@code size} bytes, not all zero. */
  static boolean validId(ByteString id, int size) {
    return id.size() == size && !allZero(id);
  }

  private static boolean allZero(com.google.protobuf.ByteString bytes) {
    for (int i = 0; i < bytes.size(); i++) {
      if (bytes.byteAt(i) != 0) {
        return false;
      }
    }
    return true;
  }

  static SpanRecord.SpanKind kind(Span.SpanKind kind) {
    switch (kind) {
      case SPAN_KIND_INTERNAL:
        return SpanRecord.SpanKind.SPAN_KIND_INTERNAL;
      case SPAN_KIND_SERVER:
        return SpanRecord.SpanKind.SPAN_KIND_SERVER;
      case SPAN_KIND_CLIENT:
        return SpanRecord.SpanKind.SPAN_KIND_CLIENT;
      case SPAN_KIND_PRODUCER:
        return SpanRecord.SpanKind.SPAN_KIND_PRODUCER;
      case SPAN_KIND_CONSUMER:
        return SpanRecord.SpanKind.SPAN_KIND_CONSUMER;
      default:
        return SpanRecord.SpanKind.SPAN_KIND_UNSPECIFIED;
    }
  }

  static SpanRecord.StatusCode status(Status status) {
    switch (status.getCode()) {
      case STATUS_CODE_OK:
        return SpanRecord.StatusCode.STATUS_CODE_OK;
      case STATUS_CODE_ERROR:
        return SpanRecord.StatusCode.STATUS_CODE_ERROR;
      default:
        return SpanRecord.StatusCode.STATUS_CODE_UNSET;
    }
  }
}
