package io.switchyard.flinkjobs.mesh;

import java.util.regex.Pattern;

/** Recognises peer names that would explode graph cardinality: addresses and per-pod names. */
public final class NodeNames {
  public static final String GROUP_IP = "ip-addresses";
  public static final String GROUP_OTHER = "other";
  private static final Pattern IPV4 = Pattern.compile("^\\d{1,3}(\\.\\d{1,3}){3}(:\\d+)?$");
  /**
   * At least two colons: every IPv6 text form has them ({@code ::1}, {@code 2001:db8::5}), while a host name
   * and its port ({@code cafe:8080}, {@code db:5432}) has one and is not an address.
   */
  private static final Pattern IPV6 = Pattern.compile("^\\[?[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*\\]?(:\\d+)?$");
  /** Kubernetes pod of a Deployment: name-<replicaset hash>-<5 chars>. */
  private static final Pattern POD = Pattern.compile("^(.+)-[a-z0-9]{8,10}-[a-z0-9]{5}$");

  private NodeNames() {}

  public static boolean isAddress(String name) {
    return IPV4.matcher(name).matches() || IPV6.matcher(name).matches();
  }

  /** The workload a pod name belongs to, or null when the name does not look like a pod. */
  public static String podWorkload(String name) {
    var m = POD.matcher(name);
    return m.matches() ? m.group(1) : null;
  }
}
