package io.switchyard.ratelimit.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.switchyard.ratelimit.limiter.InvalidRequestException;
import io.switchyard.ratelimit.limiter.RateLimitStats;
import io.switchyard.ratelimit.limiter.RateLimiter;
import io.switchyard.serverkit.http.HttpResponses;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The reference's {@code POST /json}: a RateLimitRequest in proto3 JSON, answered with the response in
 * proto3 JSON, status 200 when OK and 429 when over the limit. As there, these calls are not gRPC calls: the
 * reference counts {@code total_requests} and {@code response_time} in a gRPC interceptor (src/metrics/metrics.go),
 * which its /json handler does not pass, so they are left out of both here too.
 */
final class JsonEndpoint implements HttpHandler {
  private final RateLimiter limiter;
  private final RateLimitStats stats;
  private final int maxDescriptors;
  private final int maxBytes;
  private final JsonFormat.Parser parser = JsonFormat.parser();
  private final JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();

  JsonEndpoint(RateLimiter limiter, RateLimitStats stats, int maxDescriptors, int maxBytes) {
    this.limiter = limiter;
    this.stats = stats;
    this.maxDescriptors = maxDescriptors;
    this.maxBytes = maxBytes;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!"POST".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().add("Allow", "POST");
        HttpResponses.error(ex, 405, "use POST with a RateLimitRequest in proto3 JSON");
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readNBytes(maxBytes + 1);
      }
      if (body.length > maxBytes) {
        HttpResponses.error(ex, 413, "request body exceeds " + maxBytes + " bytes");
        return;
      }
      RateLimitRequest.Builder request = RateLimitRequest.newBuilder();
      try {
        parser.merge(new String(body, StandardCharsets.UTF_8), request);
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        // Refused before the service runs, as the reference does, so not its should_rate_limit.service_error.
        stats.refusedUnread("invalid_argument");
        HttpResponses.error(ex, 400, "invalid RateLimitRequest JSON: " + e.getMessage());
        return;
      }
      RateLimitResponse response;
      try {
        response = RateLimitGrpcService.decide(request.build(), limiter, stats, maxDescriptors);
      } catch (InvalidRequestException e) {
        stats.serviceError("invalid_argument");
        HttpResponses.error(ex, 400, e.getMessage());
        return;
      } catch (RateLimitGrpcService.TooLargeException e) {
        stats.serviceError("resource_exhausted");
        HttpResponses.error(ex, 413, e.getMessage());
        return;
      }
      int status = response.getOverallCode() == RateLimitResponse.Code.OVER_LIMIT ? 429 : 200;
      HttpResponses.send(ex, status, "application/json",
          printer.print(response).getBytes(StandardCharsets.UTF_8));
    }
  }
}
