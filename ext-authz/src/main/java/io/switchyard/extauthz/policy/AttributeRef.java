package io.switchyard.extauthz.policy;

/**
 * One request attribute a policy reads. The decision cache key is the projection of a request on the
 * refs of the policies that apply to it, so a missing ref here is a cache soundness bug.
 */
public record AttributeRef(Kind kind, String name) implements Comparable<AttributeRef> {
  public enum Kind {
    SOURCE_PRINCIPAL, SOURCE_IP, REMOTE_IP, DESTINATION_IP, DESTINATION_PORT, SNI, METHOD, HOST, PATH, HEADER,
    /** Anything derived from the verified token: request principal, audiences, presenter, claims. */
    IDENTITY,
    /** {@code experimental.envoy.filters.<filter>[<key>]}: a value of Envoy's dynamic metadata; name is {@code <filter>[<key>]}. */
    METADATA
  }

  public static AttributeRef of(Kind kind) {
    return new AttributeRef(kind, "");
  }

  @Override
  public int compareTo(AttributeRef o) {
    int c = kind.compareTo(o.kind);
    return c != 0 ? c : name.compareTo(o.name);
  }
}
