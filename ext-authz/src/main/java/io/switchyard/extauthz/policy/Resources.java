package io.switchyard.extauthz.policy;

import io.switchyard.extauthz.yaml.Doc;
import io.switchyard.serverkit.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The Kubernetes-style envelope shared by AuthorizationPolicy and RequestAuthentication. */
public final class Resources {
  /** Off Kubernetes a resource without {@code metadata.namespace} lands where kubectl would put it. */
  public static final String DEFAULT_NAMESPACE = "default";
  public static final Set<String> API_VERSIONS = Set.of("security.istio.io/v1", "security.istio.io/v1beta1");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Set<String> TOP_LEVEL = Set.of("apiVersion", "kind", "metadata", "spec", "status");

  /** Name, namespace and annotations of a resource. */
  public record Header(String kind, String name, String namespace, Map<String, String> annotations, int line) {}

  private Resources() {}

  public static Header header(Doc doc) throws ConfigException {
    doc.onlyKeys("", "resource", TOP_LEVEL);
    String apiVersion = doc.string("/apiVersion", "apiVersion", true);
    String kind = doc.string("/kind", "kind", true);
    if (!API_VERSIONS.contains(apiVersion)) {
      throw doc.error("/apiVersion", "unsupported apiVersion '" + apiVersion + "' (expected one of security.istio.io/v1, security.istio.io/v1beta1)");
    }
    String name = doc.string("/metadata/name", "metadata.name", true);
    String namespace = doc.string("/metadata/namespace", "metadata.namespace", false);
    if (namespace == null) {
      namespace = DEFAULT_NAMESPACE;
    } else if (!DNS_LABEL.matcher(namespace).matches()) {
      throw doc.error("/metadata/namespace", "metadata.namespace '" + namespace + "' is not a valid namespace name");
    }
    Map<String, String> annotations = doc.stringMap("/metadata/annotations", "metadata.annotations");
    return new Header(kind, name, namespace, annotations, doc.lineOf(""));
  }

  /** {@code spec.selector.matchLabels} or {@code spec.targetRef(s)}; both together are rejected as Istio does. */
  public static Scope scope(Doc doc, String namespace) throws ConfigException {
    doc.onlyKeys("/spec/selector", "selector", Set.of("matchLabels"));
    Map<String, String> labels = doc.stringMap("/spec/selector/matchLabels", "selector.matchLabels");
    List<String> targets = new ArrayList<>();
    if (doc.has("/spec/targetRef")) {
      targets.add(targetName(doc, "/spec/targetRef", namespace));
    }
    int n = doc.listSize("/spec/targetRefs", "targetRefs");
    for (int i = 0; i < n; i++) {
      targets.add(targetName(doc, "/spec/targetRefs/" + i, namespace));
    }
    if (!labels.isEmpty() && !targets.isEmpty()) {
      throw doc.error("/spec/selector", "only one of selector or targetRefs can be set");
    }
    return new Scope(namespace, labels, targets);
  }

  /**
   * Off Kubernetes a targetRef names the workload directly (the {@code workload} context extension),
   * whatever its kind; a reference to another namespace cannot be honoured and is refused.
   */
  private static String targetName(Doc doc, String p, String namespace) throws ConfigException {
    doc.onlyKeys(p, "targetRef", Set.of("group", "kind", "name", "namespace"));
    String name = doc.string(p + "/name", "targetRef.name", true);
    String ns = doc.string(p + "/namespace", "targetRef.namespace", false);
    if (ns != null && !ns.equals(namespace)) {
      throw doc.error(p + "/namespace", "targetRef.namespace must equal the policy's namespace '" + namespace + "'");
    }
    return name;
  }
}
