package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.AccessLogRecord;
import java.util.List;

/**
 * The raw facts of one access-log entry, whichever transport carried it (ALS or OTLP logs); {@link
 * AccessLogDerivation} turns them into a record with source and destination identities.
 */
final class AccessLogFacts {
  IstioNode node = IstioNode.UNKNOWN;
  String upstreamCluster = "";
  String downstreamRemoteAddress = "";
  String upstreamRemoteAddress = "";
  String downstreamLocalAddress = "";
  String upstreamLocalAddress = "";
  List<String> downstreamPeerUriSans = List.of();
  List<String> upstreamPeerUriSans = List.of();
  PeerInfo downstreamPeer = PeerInfo.NONE;
  PeerInfo upstreamPeer = PeerInfo.NONE;
  AccessLogRecord.Protocol protocol = AccessLogRecord.Protocol.PROTOCOL_UNSPECIFIED;
  String method = "";
  String authority = "";
  String path = "";
  String routeName = "";
  int responseCode;
  String responseFlags = "";
  int grpcStatus = -1;
  long startUnixNano;
  long durationMicros;
  long requestBytes;
  long responseBytes;
  ByteString traceId = ByteString.EMPTY;
  /** The entry carried a trace id, but none that was valid: {@link #traceId} is empty for that reason. */
  boolean traceIdInvalid;
  String requestId = "";
}
