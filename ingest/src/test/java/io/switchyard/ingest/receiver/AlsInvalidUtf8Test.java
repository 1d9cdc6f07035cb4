package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.switchyard.model.v1.AccessLogRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy sends header values as they came (envoyproxy/envoy#5141: a Latin-1 {@code User-Agent} reaches the ALS as
 * invalid UTF-8; its protobuf only logs that when serializing). Refused by the parser, the message's entries were
 * lost and the stream reset; instead each invalid sequence becomes U+FFFD and the stream goes on.
 */
class AlsInvalidUtf8Test {
  @TempDir Path dir;
  MockKafkaPipeline kafka;
  ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    kafka = MockKafkaPipeline.acknowledging(dir);
    channel = kafka.grpc(new AlsGrpcService(kafka.pipeline));
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  private static HTTPAccessLogEntry entry(String requestId, String path, String userAgent) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("outbound|80||shop.default.svc.cluster.local"))
        .setRequest(HTTPRequestProperties.newBuilder().setRequestMethod(RequestMethod.GET).setPath(path)
            .setUserAgent(userAgent).setRequestId(requestId))
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200)))
        .build();
  }

  private static byte[] message(Node node, HTTPAccessLogEntry entry) {
    StreamAccessLogsMessage.Builder b = StreamAccessLogsMessage.newBuilder()
        .setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder().addLogEntry(entry));
    if (node != null) {
      b.setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(node).setLogName("als"));
    }
    byte[] bytes = b.build().toByteArray();
    // Every é (C3 A9) made invalid (C3 28), as a Latin-1 header would be.
    for (int i = 0; i + 1 < bytes.length; i++) {
      if (bytes[i] == (byte) 0xc3 && bytes[i + 1] == (byte) 0xa9) {
        bytes[i + 1] = 0x28;
      }
    }
    return bytes;
  }

  @Test
  void anEntryWhoseStringsAreNotUtf8IsPublishedWithReplacementCharactersAndTheStreamGoesOn() throws Exception {
    MockKafkaPipeline.RawAlsCall call = MockKafkaPipeline.rawAlsCall(channel, CallOptions.DEFAULT);
    StreamObserver<byte[]> stream = call.messages();
    CompletableFuture<Void> answered = call.answered();
    Node node = Node.newBuilder().setId("sidecar~10.0.0.7~shop-5d9c7-x2v.default~default.svc.cluster.local")
        .setCluster("shop.default").build();
    stream.onNext(message(node, entry("first", "/caf\u00e9", "Mozilla/5.0 (Caf\u00e9)")));
    stream.onNext(message(null, entry("second", "/ok", "curl/8.5.0")));
    stream.onCompleted();
    answered.get(10, TimeUnit.SECONDS);

    List<AccessLogRecord> records = new ArrayList<>();
    for (var r : kafka.producer.history()) {
      records.add(AccessLogRecord.parseFrom(r.value()));
    }
    assertThat(records).extracting(AccessLogRecord::getRequestId).containsExactly("first", "second");
    assertThat(records.get(0).getPath()).isEqualTo("/caf\uFFFD(");
    // The first message's identifier was read although its entry was repaired: both entries carry the node.
    assertThat(records).extracting(AccessLogRecord::getNodeId).containsOnly(node.getId());
  }
}
