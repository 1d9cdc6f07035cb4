package io.switchyard.ingest.receiver;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.switchyard.ingest.kafka.KafkaPublisher;
import io.switchyard.ingest.mapping.OtlpRequests;
import io.switchyard.serverkit.http.HttpServerKit;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4FrameInputStream;

/**
 * OTLP/HTTP {@code POST /v1/traces} and {@code /v1/logs}: binary protobuf or JSON, optionally compressed.
 * Answers 200 (with partial success when some items were rejected) only after Kafka acknowledged; 429/503 with
 * {@code Retry-After} while Kafka is slow or down; 400 naming the problem for a malformed body. Error bodies are a
 * {@code google.rpc.Status} in the request's encoding; the JSON one also carries {@code "error"}.
 */
public final class OtlpHttpHandler implements HttpHandler {
  private static final String PROTOBUF = "application/x-protobuf";
  private static final String JSON = "application/json";

  enum Signal { TRACES, LOGS }

  private final Signal signal;
  private final Pipeline pipeline;
  private final int maxBodyBytes;
  private final Duration retryAfter;
  private final Duration ackWait;

  private OtlpHttpHandler(Signal signal, Pipeline pipeline, int maxBodyBytes) {
    this.signal = signal;
    this.pipeline = pipeline;
    this.maxBodyBytes = maxBodyBytes;
    this.retryAfter = pipeline.publisher().options().retryAfter();
    // The publisher fails a batch at its ack timeout; the margin only covers scheduling delay.
    this.ackWait = pipeline.publisher().options().ackTimeout().plusSeconds(1);
  }

  public static OtlpHttpHandler traces(Pipeline pipeline, int maxBodyBytes) {
    return new OtlpHttpHandler(Signal.TRACES, pipeline, maxBodyBytes);
  }

  public static OtlpHttpHandler logs(Pipeline pipeline, int maxBodyBytes) {
    return new OtlpHttpHandler(Signal.LOGS, pipeline, maxBodyBytes);
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String contentType = contentType(ex);
      boolean json = contentType.equals(JSON);
      String expectedPath = signal == Signal.TRACES ? "/v1/traces" : "/v1/logs";
      if (!ex.getRequestURI().getPath().equals(expectedPath)) {
        error(ex, json, 404, 5, noSuchPath(ex));
        return;
      }
      if (!ex.getRequestMethod().equals("POST")) {
        ex.getResponseHeaders().set("Allow", "POST");
        error(ex, json, 405, 12, "method " + ex.getRequestMethod() + " not allowed; use POST");
        return;
      }
      if (Admission.refusing()) {
        pipeline.queueFull(signal == Signal.TRACES ? Pipeline.SPANS : Pipeline.LOGS);
        retryLater(ex, json, 429, 8, GrpcStatuses.QUEUE_FULL);
        return;
      }
      if (!json && !contentType.equals(PROTOBUF)) {
        error(ex, false, 415, 3, "Content-Type must be application/x-protobuf or application/json, got '"
            + contentType + "'");
        return;
      }
      byte[] body;
      try {
        body = readBody(ex);
      } catch (BodyTooLarge e) {
        error(ex, json, 413, 3, "request body exceeds " + maxBodyBytes + " bytes");
        return;
      } catch (IOException e) {
        error(ex, json, 400, 3, "request body could not be read: " + e.getMessage());
        return;
      }
      Pipeline.Export export;
      try {
        export = signal == Signal.TRACES ? traces(body, json) : logs(body, json);
      } catch (OtlpJson.BadJson e) {
        error(ex, true, 400, 3, e.getMessage());
        return;
      } catch (InvalidProtocolBufferException e) {
        error(ex, false, 400, 3, "body is not a valid " + (signal == Signal.TRACES
            ? "ExportTraceServiceRequest" : "ExportLogsServiceRequest") + ": " + e.getMessage());
        return;
      }
      if (export.refusal() != null) {
        boolean budget = export.refusal() == KafkaPublisher.Refusal.BUDGET;
        retryLater(ex, json, budget ? 429 : 503, budget ? 8 : 14, budget
            ? "ingest is at its in-flight limit while Kafka catches up; retry later"
            : "Kafka is unavailable; retry later");
        return;
      }
      try {
        export.acked().get(ackWait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        retryLater(ex, json, 503, 14, "Kafka did not acknowledge the records: " + GrpcStatuses.rootMessage(e));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        retryLater(ex, json, 503, 14, "interrupted while waiting for Kafka");
        return;
      }
      respond(ex, json, 200, response(export));
    }
  }

  /**
   * Every other path of the OTLP/HTTP listener (e.g. {@code /v1/metrics}, where an SDK's metric exporter sends when
   * its endpoint is ingest's): a 404 whose body is a {@code google.rpc.Status}, as OTLP wants of every 4xx, instead of
   * the JDK server's HTML page, which an SDK cannot parse.
   */
  public static HttpHandler notFound() {
    return ex -> {
      try (ex) {
        error(ex, contentType(ex).equals(JSON), 404, 5, noSuchPath(ex));
      }
    };
  }

  /**
   * The bodies of the errors server-kit answers before a handler runs (401 without the client token, 503 while the
   * listener closes, 500 for a failed handler): a {@code google.rpc.Status} in the request's encoding, as OTLP/HTTP
   * wants of every 4xx and 5xx, with the code the gRPC listener gives the same failure.
   */
  public static HttpServerKit.ErrorBody errorBody() {
    return (ex, status, message) -> {
      try (ex) {
        int code = switch (status) {
          case 401 -> 16; // UNAUTHENTICATED
          case 503 -> 14; // UNAVAILABLE
          case 500 -> 13; // INTERNAL
          default -> 2; // UNKNOWN
        };
        error(ex, contentType(ex).equals(JSON), status, code, message);
      }
    };
  }

  private static String noSuchPath(HttpExchange ex) {
    return "no such path: " + ex.getRequestURI().getPath()
        + "; ingest takes OTLP traces on /v1/traces and logs on /v1/logs, not metrics";
  }

  private Pipeline.Export traces(byte[] body, boolean json) throws OtlpJson.BadJson, InvalidProtocolBufferException {
    if (!json) {
      return pipeline.traces(body);
    }
    ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
    OtlpJson.parseTraces(body, b);
    return pipeline.traces(b.build(), body.length);
  }

  private Pipeline.Export logs(byte[] body, boolean json) throws OtlpJson.BadJson, InvalidProtocolBufferException {
    ExportLogsServiceRequest req;
    if (json) {
      ExportLogsServiceRequest.Builder b = ExportLogsServiceRequest.newBuilder();
      OtlpJson.parseLogs(body, b);
      req = b.build();
    } else {
      req = OtlpRequests.logs(body);
    }
    return pipeline.logs(req, body.length);
  }

  private Message response(Pipeline.Export export) {
    if (signal == Signal.TRACES) {
      ExportTraceServiceResponse.Builder r = ExportTraceServiceResponse.newBuilder();
      if (export.partial()) {
        r.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(export.rejected())
            .setErrorMessage(export.error()));
      }
      return r.build();
    }
    ExportLogsServiceResponse.Builder r = ExportLogsServiceResponse.newBuilder();
    if (export.partial()) {
      r.setPartialSuccess(ExportLogsPartialSuccess.newBuilder().setRejectedLogRecords(export.rejected())
          .setErrorMessage(export.error()));
    }
    return r.build();
  }

  private static String contentType(HttpExchange ex) {
    String ct = ex.getRequestHeaders().getFirst("Content-Type");
    if (ct == null) {
      return "";
    }
    int semi = ct.indexOf(';');
    return (semi >= 0 ? ct.substring(0, semi) : ct).trim().toLowerCase(Locale.ROOT);
  }

  private static final class BodyTooLarge extends IOException {
    private static final long serialVersionUID = 1L;
  }

  /**
   * The body, decompressed by its {@code Content-Encoding}: gzip, which OTLP names, and the other codings the
   * Collector's OTLP receiver takes by default ({@code confighttp}'s {@code compression_algorithms}): {@code zstd},
   * {@code zlib} / {@code deflate} (both the zlib format as the Collector reads them), {@code snappy} (a block, or the
   * framing format when the body starts with its stream identifier), {@code x-snappy-framed} and {@code lz4} (frames).
   * Held to the limit after decompression, so a small compressed body cannot grow past it. A body its coding cannot
   * decode is refused naming the coding.
   */
  private byte[] readBody(HttpExchange ex) throws IOException {
    String header = ex.getRequestHeaders().getFirst("Content-Encoding");
    String encoding = header == null ? "" : header.trim().toLowerCase(Locale.ROOT);
    InputStream raw = ex.getRequestBody();
    switch (encoding) {
      case "", "identity" -> {
        return readLimited(raw);
      }
      case "gzip", "zstd", "zlib", "deflate", "snappy", "x-snappy-framed", "lz4" -> {
        try {
          return decode(encoding, raw);
        } catch (BodyTooLarge e) {
          throw e;
        } catch (IOException | LZ4Exception e) {
          throw new IOException("not valid " + encoding + " (" + e.getMessage() + ")", e);
        }
      }
      default -> throw new IOException("unsupported Content-Encoding '" + header
          + "' (gzip, zstd, zlib, deflate, snappy, x-snappy-framed, lz4 or none)");
    }
  }

  private byte[] decode(String encoding, InputStream raw) throws IOException {
    InputStream in;
    if (encoding.equals("snappy")) {
      BufferedInputStream buffered = new BufferedInputStream(raw, 16384);
      if (!SnappyCodec.startsFramed(buffered)) {
        // One block, decoded at once: its declared length is checked before an array of that size exists.
        long length = SnappyCodec.declaredLength(buffered);
        if (length > maxBodyBytes) {
          throw new BodyTooLarge();
        }
        return SnappyCodec.block(buffered, (int) length);
      }
      in = buffered;
    } else {
      in = raw;
    }
    try (InputStream decoded = switch (encoding) {
      case "gzip" -> new GZIPInputStream(in, 8192);
      case "zstd" -> ZstdCodec.decompressing(in);
      case "zlib", "deflate" -> new InflaterInputStream(in);
      case "snappy", "x-snappy-framed" -> SnappyCodec.framed(in);
      case "lz4" -> new LZ4FrameInputStream(in);
      default -> throw new IllegalArgumentException(encoding);
    }) {
      return readLimited(decoded);
    }
  }

  private byte[] readLimited(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    byte[] buf = new byte[16384];
    int n;
    while ((n = in.read(buf)) >= 0) {
      if (out.size() + n > maxBodyBytes) {
        throw new BodyTooLarge();
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private void retryLater(HttpExchange ex, boolean json, int status, int grpcCode, String message) throws IOException {
    ex.getResponseHeaders().set("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
    error(ex, json, status, grpcCode, message);
  }

  private static void error(HttpExchange ex, boolean json, int status, int grpcCode, String message) throws IOException {
    if (json) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", message);
      body.put("code", grpcCode);
      body.put("message", message);
      send(ex, status, JSON, io.switchyard.serverkit.http.HttpResponses.mapper().writeValueAsBytes(body));
    } else {
      com.google.rpc.Status s = com.google.rpc.Status.newBuilder().setCode(grpcCode).setMessage(message).build();
      send(ex, status, PROTOBUF, s.toByteArray());
    }
  }

  private static void respond(HttpExchange ex, boolean json, int status, Message message) throws IOException {
    if (json) {
      send(ex, status, JSON, OtlpJson.print(message).getBytes(StandardCharsets.UTF_8));
    } else {
      send(ex, status, PROTOBUF, message.toByteArray());
    }
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    }
  }
}
