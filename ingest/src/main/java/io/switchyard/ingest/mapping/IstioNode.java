package io.switchyard.ingest.mapping;

import java.util.regex.Pattern;

/**
 * A proxy's identity as Istio writes it: node id {@code <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>},
 * node cluster {@code <canonical-service>.<namespace>}, and node metadata (NAMESPACE, WORKLOAD_NAME, LABELS,
 * SERVICE_ACCOUNT). Fields are "" when unknown. Plain Envoys (no Istio id) keep the raw id as their workload.
 */
record IstioNode(
    String id,
    String cluster,
    String type,
    String ip,
    String pod,
    String namespace,
    String workload,
    String canonicalService,
    String version,
    String serviceAccount,
    String trustDomain) {

  static final IstioNode UNKNOWN = new IstioNode("", "", "", "", "", "", "", "", "", "", "");

  // ReplicaSet pods: <deployment>-<pod-template-hash>-<5 chars>; Job/DaemonSet pods: <owner>-<5 chars>.
  private static final Pattern REPLICASET_POD = Pattern.compile("^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$");
  private static final Pattern SHORT_SUFFIX_POD = Pattern.compile("^(.+)-[a-z0-9]{5}$");
  private static final Pattern STATEFULSET_POD = Pattern.compile("^(.+)-[0-9]+$");

  /**
   * Builds the identity from what the proxy reports. Metadata wins over what the id and cluster imply, because
   * the id only names the pod and the workload has to be guessed from the pod name's owner suffixes.
   */
  static IstioNode of(String id, String cluster, NodeMetadata metadata) {
    String type = "";
    String ip = "";
    String pod = "";
    String namespace = "";
    String[] parts = id.split("~", -1);
    if (parts.length == 4) {
      type = parts[0];
      ip = parts[1];
      String podNs = parts[2];
      int dot = podNs.lastIndexOf('.');
      if (dot > 0) {
        pod = podNs.substring(0, dot);
        namespace = podNs.substring(dot + 1);
      } else {
        pod = podNs;
        int domainDot = parts[3].indexOf('.');
        namespace = domainDot > 0 ? parts[3].substring(0, domainDot) : "";
      }
    }
    if (!metadata.namespace().isEmpty()) {
      namespace = metadata.namespace();
    }
    if (!metadata.name().isEmpty()) {
      pod = metadata.name();
    }
    String workload = metadata.workloadName();
    if (workload.isEmpty()) {
      workload = pod.isEmpty() ? id : workloadOfPod(pod);
    }
    String canonical = metadata.canonicalService();
    if (canonical.isEmpty() && !namespace.isEmpty() && cluster.endsWith("." + namespace)) {
      canonical = cluster.substring(0, cluster.length() - namespace.length() - 1);
    }
    String version = metadata.canonicalRevision();
    String trustDomain = metadata.trustDomain().isEmpty() ? "cluster.local" : metadata.trustDomain();
    return new IstioNode(id, cluster, type, ip, pod, namespace, workload, canonical, version,
        metadata.serviceAccount(), trustDomain);
  }

  /** The owning workload of a pod, from the suffixes Kubernetes controllers append to pod names. */
  static String workloadOfPod(String pod) {
    var m = REPLICASET_POD.matcher(pod);
    if (m.matches()) {
      return m.group(1);
    }
    m = STATEFULSET_POD.matcher(pod);
    if (m.matches()) {
      return m.group(1);
    }
    m = SHORT_SUFFIX_POD.matcher(pod);
    if (m.matches()) {
      return m.group(1);
    }
    return pod;
  }

  boolean isIstio() {
    return !type.isEmpty();
  }

  /** The proxy's own SPIFFE id when its service account is known. */
  String principal() {
    if (serviceAccount.isEmpty() || namespace.isEmpty()) {
      return "";
    }
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  /** The FQDN of the Kubernetes service this workload most likely serves (canonical service name). */
  String serviceFqdn(String clusterDomain) {
    if (canonicalService.isEmpty() || namespace.isEmpty()) {
      return "";
    }
    return canonicalService + "." + namespace + ".svc." + clusterDomain;
  }
}
