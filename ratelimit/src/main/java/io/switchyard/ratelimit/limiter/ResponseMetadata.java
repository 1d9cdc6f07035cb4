package io.switchyard.ratelimit.limiter;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import java.util.Map;

/**
 * The dynamic metadata the reference answers with when {@code RESPONSE_DYNAMIC_METADATA} is on
 * ({@code ratelimitToMetadata} in its src/service/ratelimit.go), which Envoy's rate limit filter stores under
 * {@code envoy.filters.http.ratelimit} for later filters and access logs:
 * <pre>
 * domain: edge
 * descriptors: [{entries: ["remote_address=10.0.0.1"], limit: "requests_per_unit:5 unit:SECOND", hitsAddend: 2}]
 * hitsAddend: 3            # the request's, when not 0
 * metadata: {team: pay}    # the config metadata of the limits that were not over, merged
 * </pre>
 */
final class ResponseMetadata {
  private ResponseMetadata() {}

  static Struct of(RateLimitRequest request, Struct.Builder passed) {
    Struct.Builder out = Struct.newBuilder().putFields("domain", string(request.getDomain()));
    ListValue.Builder descriptors = ListValue.newBuilder();
    for (RateLimitDescriptor d : request.getDescriptorsList()) {
      descriptors.addValues(Value.newBuilder().setStructValue(descriptor(d)));
    }
    out.putFields("descriptors", Value.newBuilder().setListValue(descriptors).build());
    if (request.getHitsAddend() != 0) {
      out.putFields("hitsAddend", number(Integer.toUnsignedLong(request.getHitsAddend())));
    }
    if (passed != null && passed.getFieldsCount() > 0) {
      out.putFields("metadata", Value.newBuilder().setStructValue(passed).build());
    }
    return out.build();
  }

  private static Struct descriptor(RateLimitDescriptor d) {
    ListValue.Builder entries = ListValue.newBuilder();
    for (RateLimitDescriptor.Entry e : d.getEntriesList()) {
      entries.addValues(string(e.getKey() + "=" + e.getValue()));
    }
    Struct.Builder s = Struct.newBuilder().putFields("entries", Value.newBuilder().setListValue(entries).build());
    if (d.hasLimit()) {
      s.putFields("limit", string(overrideText(d.getLimit())));
    }
    if (d.hasHitsAddend()) {
      s.putFields("hitsAddend", number(d.getHitsAddend().getValue()));
    }
    return s.build();
  }

  /**
   * The reference writes Go's text form of the override ({@code descriptor.Limit.String()}); this is its usual
   * rendering. As proto3 text format, a zero {@code requests_per_unit} is left out (the unit is never UNKNOWN here:
   * such a request is refused before).
   */
  private static String overrideText(RateLimitDescriptor.RateLimitOverride limit) {
    String unit = "unit:" + limit.getUnit().name();
    return limit.getRequestsPerUnit() == 0 ? unit
        : "requests_per_unit:" + Integer.toUnsignedLong(limit.getRequestsPerUnit()) + " " + unit;
  }

  /**
   * Merges {@code src} into {@code dest} as the reference's {@code mergeMetadata}: a key already present keeps its
   * value, except that two structs under one key are merged the same way, recursively.
   */
  static void mergeKeepingFirst(Struct.Builder dest, Struct src) {
    for (Map.Entry<String, Value> e : src.getFieldsMap().entrySet()) {
      Value have = dest.getFieldsMap().get(e.getKey());
      if (have == null) {
        dest.putFields(e.getKey(), e.getValue());
      } else if (have.hasStructValue() && e.getValue().hasStructValue()) {
        Struct.Builder merged = have.getStructValue().toBuilder();
        mergeKeepingFirst(merged, e.getValue().getStructValue());
        dest.putFields(e.getKey(), Value.newBuilder().setStructValue(merged).build());
      }
    }
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static Value number(double n) {
    return Value.newBuilder().setNumberValue(n).build();
  }
}
