package io.switchyard.ratelimit.server;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.switchyard.ratelimit.limiter.InvalidRequestException;
import io.switchyard.ratelimit.limiter.RateLimitStats;
import io.switchyard.ratelimit.limiter.RateLimiter;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Envoy's {@code RateLimitService/ShouldRateLimit}; never sends a stack trace to the client. */
final class RateLimitGrpcService implements BindableService {
  private static final Logger log = LoggerFactory.getLogger(RateLimitGrpcService.class);

  private final RateLimiter limiter;
  private final RateLimitStats stats;
  private final ServerMetrics metrics;
  private final int maxDescriptors;

  RateLimitGrpcService(RateLimiter limiter, RateLimitStats stats, ServerMetrics metrics, int maxDescriptors) {
    this.limiter = limiter;
    this.stats = stats;
    this.metrics = metrics;
    this.maxDescriptors = maxDescriptors;
  }

  /**
   * The generated binding, but with a request marshaller that does not throw: grpc-java answers a marshaller that
   * throws with UNKNOWN "Application error processing RPC". The reference's grpc-go server answers bytes that are not
   * a RateLimitRequest with INTERNAL ("grpc: error unmarshalling request: ...") before its handler and stats
   * interceptor run, so they are counted in neither total_requests nor service_error.
   */
  @Override
  public ServerServiceDefinition bindService() {
    MethodDescriptor<RateLimitRequest, RateLimitResponse> generated = RateLimitServiceGrpc.getShouldRateLimitMethod();
    MethodDescriptor<Wire, RateLimitResponse> method =
        generated.toBuilder(new WireMarshaller(generated.getRequestMarshaller()), generated.getResponseMarshaller()).build();
    ServiceDescriptor service = ServiceDescriptor.newBuilder(RateLimitServiceGrpc.SERVICE_NAME)
        .setSchemaDescriptor(RateLimitServiceGrpc.getServiceDescriptor().getSchemaDescriptor()).addMethod(method).build();
    return ServerServiceDefinition.builder(service).addMethod(method, ServerCalls.asyncUnaryCall(
        (Wire wire, StreamObserver<RateLimitResponse> observer) -> {
          if (wire.request() != null) {
            shouldRateLimit(wire.request(), observer);
          } else {
            stats.refusedUnread("invalid_argument");
            observer.onError(Status.INTERNAL.withDescription("malformed RateLimitRequest: " + wire.error())
                .asRuntimeException());
          }
        })).build();
  }

  /** A request as read off the wire: the message, or why the bytes are not one. */
  record Wire(RateLimitRequest request, String error) {}

  private static final class WireMarshaller implements MethodDescriptor.Marshaller<Wire> {
    private final MethodDescriptor.Marshaller<RateLimitRequest> proto;

    WireMarshaller(MethodDescriptor.Marshaller<RateLimitRequest> proto) {
      this.proto = proto;
    }

    @Override
    public InputStream stream(Wire value) {
      return proto.stream(value.request());
    }

    @Override
    public Wire parse(InputStream stream) {
      try {
        return new Wire(proto.parse(stream), null);
      } catch (StatusRuntimeException e) {
        // grpc-java's proto marshaller wraps protobuf's reason as the cause of "Invalid protobuf byte sequence".
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return new Wire(null, cause.getMessage());
      }
    }
  }

  public void shouldRateLimit(RateLimitRequest request, StreamObserver<RateLimitResponse> observer) {
    long start = System.nanoTime();
    stats.requestReceived();
    try {
      RateLimitResponse response = decide(request, limiter, stats, maxDescriptors);
      observer.onNext(response);
      observer.onCompleted();
    } catch (InvalidRequestException e) {
      stats.serviceError("invalid_argument");
      observer.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    } catch (TooLargeException e) {
      stats.serviceError("resource_exhausted");
      observer.onError(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
    } catch (RuntimeException e) {
      stats.serviceError("internal");
      log.error("ShouldRateLimit failed for domain '{}'", request.getDomain(), e);
      observer.onError(Status.INTERNAL.withDescription("internal error").asRuntimeException());
    } finally {
      metrics.responseTime.observe((System.nanoTime() - start) / 1e9);
    }
  }

  static RateLimitResponse decide(RateLimitRequest request, RateLimiter limiter, RateLimitStats stats,
      int maxDescriptors) throws InvalidRequestException, TooLargeException {
    if (request.getDescriptorsCount() > maxDescriptors) {
      throw new TooLargeException("descriptors: " + request.getDescriptorsCount() + " exceeds the maximum of "
          + maxDescriptors);
    }
    return limiter.shouldRateLimit(request);
  }

  /** Request bigger than the service accepts; RESOURCE_EXHAUSTED (HTTP 413 on /json). */
  static final class TooLargeException extends Exception {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The latency histogram under the reference's exported name ({@code ratelimit_server.ShouldRateLimit.response_time}
   * mapped to {@code ratelimit_service_response_time_seconds{grpc_method}}).
   */
  static final class ServerMetrics {
    final DistributionDataPoint responseTime;

    ServerMetrics(io.switchyard.serverkit.metrics.Metrics m) {
      responseTime = m.histogram("ratelimit_service_response_time_seconds",
          "Time to answer ShouldRateLimit inside the server.", new double[] {
              0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
              0.01, 0.025, 0.05, 0.1, 0.25, 1}, "grpc_method").labelValues("ShouldRateLimit");
    }
  }
}
