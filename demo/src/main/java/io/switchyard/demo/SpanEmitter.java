package io.switchyard.demo;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Turns simulated calls into the spans instrumented applications would send: one OpenTelemetry SDK
 * tracer provider per service (its own {@code service.name} resource), exporting OTLP/gRPC to
 * Switchyard's ingest like any application's SDK.
 */
final class SpanEmitter implements AutoCloseable {
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  private static final AttributeKey<String> PEER_SERVICE = AttributeKey.stringKey("peer.service");
  private static final AttributeKey<String> PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
  private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system");
  private static final AttributeKey<String> DB_NAME = AttributeKey.stringKey("db.name");
  private static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
  private static final AttributeKey<String> MESSAGING_DESTINATION = AttributeKey.stringKey("messaging.destination.name");

  private final Map<String, SdkTracerProvider> providers = new HashMap<>();
  private final Map<String, Tracer> tracers = new HashMap<>();
  private final DemoCounters counters;

  SpanEmitter(String host, int otlpPort, DemoCounters counters) {
    this.counters = counters;
    for (Storefront.Service s : Storefront.SERVICES.values()) {
      if (s.kind() != Storefront.Kind.HTTP) {
        continue;
      }
      OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder()
          .setEndpoint("http://" + host + ":" + otlpPort)
          .setTimeout(Duration.ofSeconds(5))
          .build();
      SdkTracerProvider provider = SdkTracerProvider.builder()
          .setResource(Resource.create(Attributes.builder()
              .put("service.name", s.name())
              .put("service.namespace", Storefront.NAMESPACE)
              .put("service.version", "1.4.2")
              .put("k8s.namespace.name", Storefront.NAMESPACE)
              .put("k8s.pod.name", s.pod())
              .put("k8s.deployment.name", s.name())
              .build()))
          .addSpanProcessor(BatchSpanProcessor.builder(exporter).setMaxExportBatchSize(512)
              .setScheduleDelay(Duration.ofMillis(500)).setMaxQueueSize(8192).build())
          .build();
      providers.put(s.name(), provider);
      tracers.put(s.name(), provider.get("io.switchyard.demo"));
    }
  }

  /** Emits the spans of one request tree. */
  void emit(SimulatedCall entry) {
    serverSide(entry, Context.root());
  }

  /**
   * The callee's server (or consumer) span with {@code parent}, then its own outgoing calls. A consumer starts a trace
   * of its own and links the message's producer span, as OpenTelemetry's messaging conventions have a consumer's
   * process span do: the service graph pairs it with the producer through that link.
   */
  private void serverSide(SimulatedCall call, Context parent) {
    Storefront.Service callee = call.callee();
    boolean consumer = call.caller() != null && call.caller().kind() == Storefront.Kind.QUEUE;
    SpanBuilder b = tracers.get(callee.name()).spanBuilder(consumer ? "orders process" : call.method() + " " + call.path())
        .setSpanKind(consumer ? SpanKind.CONSUMER : SpanKind.SERVER)
        .setStartTimestamp(call.serverStartNanos(), TimeUnit.NANOSECONDS);
    if (consumer) {
      b.setNoParent().addLink(Span.fromContext(parent).getSpanContext())
          .setAttribute(MESSAGING_SYSTEM, "kafka").setAttribute(MESSAGING_DESTINATION, "orders");
    } else {
      b.setParent(parent);
      b.setAttribute(METHOD, call.method()).setAttribute(ROUTE, call.path()).setAttribute(STATUS, (long) call.httpStatus())
          .setAttribute(PEER_ADDRESS, call.caller() == null ? "203.0.113.7" : call.caller().ip());
    }
    Span server = b.startSpan();
    if (call.failed()) {
      server.setStatus(StatusCode.ERROR);
    }
    Context inside = (consumer ? Context.root() : parent).with(server);
    for (SimulatedCall child : call.children()) {
      clientSide(child, inside);
    }
    server.end(call.serverEndNanos(), TimeUnit.NANOSECONDS);
    counters.spans.increment();
  }

  /** The caller's client (or producer) span, and the callee's side beneath it. */
  private void clientSide(SimulatedCall call, Context parent) {
    Storefront.Service callee = call.callee();
    SpanBuilder b = tracers.get(call.caller().name()).spanBuilder(switch (callee.kind()) {
          case DATABASE -> "SELECT storefront";
          case QUEUE -> "orders publish";
          case HTTP -> call.method() + " " + callee.name();
        })
        .setParent(parent)
        .setStartTimestamp(call.clientStartNanos(), TimeUnit.NANOSECONDS);
    switch (callee.kind()) {
      case DATABASE -> b.setSpanKind(SpanKind.CLIENT).setAttribute(DB_SYSTEM, "postgresql").setAttribute(DB_NAME, "storefront")
          .setAttribute(SERVER_ADDRESS, callee.name()).setAttribute(SERVER_PORT, 5432L);
      case QUEUE -> b.setSpanKind(SpanKind.PRODUCER).setAttribute(MESSAGING_SYSTEM, "kafka").setAttribute(MESSAGING_DESTINATION, "orders");
      case HTTP -> b.setSpanKind(SpanKind.CLIENT).setAttribute(METHOD, call.method()).setAttribute(STATUS, (long) call.httpStatus())
          .setAttribute(SERVER_ADDRESS, callee.name()).setAttribute(SERVER_PORT, (long) Storefront.PORT)
          .setAttribute(PEER_SERVICE, callee.name());
    }
    Span client = b.startSpan();
    if (call.failed()) {
      client.setStatus(StatusCode.ERROR);
    }
    Context inside = parent.with(client);
    if (callee.kind() == Storefront.Kind.HTTP) {
      serverSide(call, inside);
    } else {
      for (SimulatedCall consumer : call.children()) {
        serverSide(consumer, inside);
      }
    }
    client.end(call.clientEndNanos(), TimeUnit.NANOSECONDS);
    counters.spans.increment();
  }

  @Override
  public void close() {
    for (SdkTracerProvider p : providers.values()) {
      p.shutdown().join(5, TimeUnit.SECONDS);
    }
  }
}
