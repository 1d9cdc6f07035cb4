package io.switchyard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit;
import io.switchyard.extauthz.config.PolicyLoader;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.launcher.runtime.LocalFlinkJar;
import io.switchyard.ratelimit.config.DomainConfig;
import io.switchyard.ratelimit.config.RateLimitConfig;
import io.switchyard.ratelimit.config.RateLimitConfigLoader;
import io.switchyard.xds.envoy.EnvoyTypes;
import io.switchyard.xds.mesh.Mesh;
import io.switchyard.xds.mesh.MeshFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The Kubernetes and Istio examples under deploy/ are read by users, not by our build, so nothing else would notice
 * when a flag is renamed, a default port moves or a ConfigMap stops loading. This test reads every manifest and
 * checks it against the real CLI (picocli's parser on the real command tree), the real config loaders (ext-authz
 * policies, rate limit configs, the mesh file, each laid out the way the kubelet mounts a ConfigMap) and the Envoy
 * protos, and checks that Services, probes, Istio providers, the EnvoyFilter and the Envoy bootstrap name ports that
 * the pods really serve.
 */
class KubernetesManifestsTest {
  static final Path DEPLOY = Path.of("../deploy");
  static final Path KUBERNETES = DEPLOY.resolve("kubernetes");
  static final Path ISTIO = DEPLOY.resolve("istio");
  static final Path DOCKER = DEPLOY.resolve("docker");
  /** Install-time inputs (istioctl / Helm), not resources of a kustomization. */
  static final Set<Path> NOT_IN_A_KUSTOMIZATION = Set.of(
      ISTIO.resolve("install/istio-operator.yaml"), ISTIO.resolve("install/istiod-values.yaml"));
  /** The image of deploy/docker/Dockerfile, as the manifests name it before kustomize's `images:` rewrites it. */
  static final String SWITCHYARD_IMAGE = "switchyard";
  /** After SIGTERM: the drain, then up to 10 s for the calls in flight (README, "Commands"), then the JVM's exit. */
  static final int GRPC_GRACE_SECONDS = 10;
  static final int EXIT_MARGIN_SECONDS = 5;
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern ENV_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
  static final Pattern PORT_OPTION = Pattern.compile("--([a-z-]+-)?port");

  /** One YAML document and the file it came from. */
  record Doc(Path file, JsonNode node) {
    String kind() {
      return node.path("kind").asText();
    }

    String name() {
      return node.path("metadata").path("name").asText();
    }

    @Override
    public String toString() {
      return kind() + " " + name() + " (" + file + ")";
    }
  }

  /** A Switchyard container as its command line parsed: the leaf command and the values of its options. */
  record Parsed(Doc workload, JsonNode pod, JsonNode container, List<String> args, ParseResult leaf) {
    String command() {
      return leaf.commandSpec().qualifiedName(" ").replaceFirst("^switchyard ", "");
    }

    Object value(String option) {
      OptionSpec o = leaf.commandSpec().findOption(option);
      assertThat(o).as("%s: option %s of '%s'", workload, option, command()).isNotNull();
      return leaf.hasMatchedOption(option) ? leaf.matchedOptionValue(option, (Object) null) : o.getValue();
    }

    /** Every port option of the command (--port, --admin-port, --otlp-grpc-port, ...) and its value, defaults included. */
    Map<String, Integer> ports() {
      Map<String, Integer> ports = new LinkedHashMap<>();
      for (OptionSpec o : leaf.commandSpec().options()) {
        if (PORT_OPTION.matcher(o.longestName()).matches() && (o.type() == int.class || o.type() == Integer.class)) {
          ports.put(o.longestName(), (Integer) value(o.longestName()));
        }
      }
      return ports;
    }

    String describe() {
      return workload + " container " + container.path("name").asText() + " (" + String.join(" ", args) + ")";
    }
  }

  /** What serves a port: a Switchyard command's port option, or another container's named port. */
  record PortOwner(String command, String option) {}

  static String namespace;
  static List<Doc> base;
  static Map<String, List<Doc>> components;
  /** The base with every component enabled and their patches applied: what the richest deployment renders to. */
  static List<Doc> all;
  static List<Doc> istio;
  static List<Parsed> parsed;
  static Path kubeletRoot;

  @BeforeAll
  static void readTheManifests(@TempDir Path tmp) throws Exception {
    kubeletRoot = tmp;
    JsonNode kustomization = yaml(KUBERNETES.resolve("kustomization.yaml"));
    namespace = kustomization.path("namespace").asText();
    base = resources(KUBERNETES, kustomization);
    components = new LinkedHashMap<>();
    all = new ArrayList<>(base);
    for (Path dir : componentDirs()) {
      JsonNode k = yaml(dir.resolve("kustomization.yaml"));
      List<Doc> docs = resources(dir, k);
      components.put(dir.getFileName().toString(), docs);
      all.addAll(docs);
      for (JsonNode p : k.path("patches")) {
        Doc patch = one(dir.resolve(p.path("path").asText()));
        Doc target = find(all, patch.kind(), patch.name());
        all.set(all.indexOf(target), new Doc(target.file(), merge(target.node(), patch.node())));
      }
    }
    istio = resources(ISTIO, yaml(ISTIO.resolve("kustomization.yaml")));
    parsed = new ArrayList<>();
    for (Doc w : workloads(all)) {
      JsonNode pod = w.node().path("spec").path("template").path("spec");
      for (JsonNode c : pod.path("containers")) {
        if (imageName(c).equals(SWITCHYARD_IMAGE)) {
          parsed.add(parse(w, pod, c));
        }
      }
    }
  }

  // ---- the kustomizations and their files ----

  @Test
  void everyFileAKustomizationListsExistsAndEveryManifestIsListed() throws IOException {
    Set<Path> listed = new TreeSet<>();
    listed.addAll(listedFiles(KUBERNETES));
    for (Path dir : componentDirs()) {
      listed.addAll(listedFiles(dir));
    }
    listed.addAll(listedFiles(ISTIO));
    for (Path f : listed) {
      assertThat(f).as("listed in a kustomization").isRegularFile();
    }
    for (Path root : List.of(KUBERNETES, ISTIO)) {
      try (Stream<Path> s = Files.walk(root)) {
        for (Path f : s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).toList()) {
          Path n = f.normalize();
          if (!n.getFileName().toString().equals("kustomization.yaml") && !NOT_IN_A_KUSTOMIZATION.contains(n)) {
            assertThat(listed).as("%s is in no kustomization (list it, or it is never deployed)", f).contains(n);
          }
        }
      }
    }
  }

  @Test
  void everyComponentIsAKustomizeComponentTheBaseOffers() throws IOException {
    String baseText = Files.readString(KUBERNETES.resolve("kustomization.yaml"));
    assertThat(componentDirs()).isNotEmpty();
    for (Path dir : componentDirs()) {
      assertThat(yaml(dir.resolve("kustomization.yaml")).path("kind").asText()).as(dir.toString()).isEqualTo("Component");
      // Users enable a component by uncommenting its line under `components:`.
      assertThat(baseText).as("the base kustomization offers %s", dir).contains("- components/" + dir.getFileName());
    }
  }

  @Test
  void theKustomizationsRenderWithKubectlWhenItIsInstalled(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed");
    assertThat(kustomize(KUBERNETES)).as("kubectl kustomize deploy/kubernetes").isZero();
    assertThat(kustomize(ISTIO)).as("kubectl kustomize deploy/istio").isZero();
    // With every component enabled, as a user would by uncommenting them.
    Path copy = tmp.resolve("kubernetes");
    copyTree(KUBERNETES, copy);
    Path k = copy.resolve("kustomization.yaml");
    Files.writeString(k, Files.readString(k).replaceAll("(?m)^# - components/", "- components/"));
    assertThat(kustomize(copy)).as("kubectl kustomize with every component").isZero();
  }

  @Test
  void everyKubernetesResourceHasOnlyFieldsOfItsApiType() throws Exception {
    Map<String, Class<?>> types = Map.of(
        "v1/Namespace", io.fabric8.kubernetes.api.model.Namespace.class,
        "v1/ConfigMap", io.fabric8.kubernetes.api.model.ConfigMap.class,
        "v1/Service", io.fabric8.kubernetes.api.model.Service.class,
        "v1/ServiceAccount", io.fabric8.kubernetes.api.model.ServiceAccount.class,
        "apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class,
        "apps/v1/StatefulSet", io.fabric8.kubernetes.api.model.apps.StatefulSet.class,
        "batch/v1/Job", io.fabric8.kubernetes.api.model.batch.v1.Job.class);
    List<Doc> kubernetes = new ArrayList<>(base);
    components.values().forEach(kubernetes::addAll);
    int checked = 0;
    for (Doc d : kubernetes) {
      String type = d.node().path("apiVersion").asText() + "/" + d.kind();
      if (type.startsWith("flink.apache.org/")) {
        continue; // the operator's CRD: checked against the job and the docs instead
      }
      assertThat(types).as("%s: an API type this test knows", d).containsKey(type);
      Object resource = JSON.treeToValue(d.node(), types.get(type));
      List<String> unknown = new ArrayList<>();
      unknownFields(resource, "", unknown);
      assertThat(unknown).as("%s: fields that %s does not have", d, type).isEmpty();
      checked++;
    }
    // A patch is checked as the type it patches.
    for (Path dir : componentDirs()) {
      for (JsonNode p : yaml(dir.resolve("kustomization.yaml")).path("patches")) {
        Doc patch = one(dir.resolve(p.path("path").asText()));
        List<String> unknown = new ArrayList<>();
        unknownFields(JSON.treeToValue(patch.node(), types.get(patch.node().path("apiVersion").asText() + "/" + patch.kind())),
            "", unknown);
        assertThat(unknown).as("%s", patch).isEmpty();
      }
    }
    assertThat(checked).isGreaterThan(15);
  }

  /** Walks fabric8's model objects, which keep every field their type lacks in getAdditionalProperties(). */
  static void unknownFields(Object o, String path, List<String> unknown) throws Exception {
    if (o == null || !o.getClass().getName().startsWith("io.fabric8.")) {
      if (o instanceof List<?> list) {
        for (int i = 0; i < list.size(); i++) {
          unknownFields(list.get(i), path + "[" + i + "]", unknown);
        }
      } else if (o instanceof Map<?, ?> map) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
          unknownFields(e.getValue(), path + "." + e.getKey(), unknown);
        }
      }
      return;
    }
    for (java.lang.reflect.Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v = m.invoke(o);
      if (m.getName().equals("getAdditionalProperties")) {
        ((Map<?, ?>) v).keySet().forEach(k -> unknown.add(path + "." + k));
      } else {
        String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
        unknownFields(v, path + "." + field, unknown);
      }
    }
  }

  // ---- the Switchyard containers against the real CLI ----

  @Test
  void everySwitchyardContainerParsesWithTheRealCommandTree() {
    // Parsing happened in readTheManifests (it fails there on an unknown flag or a bad value); make sure the
    // manifests were really found and each service of the base is there.
    Set<String> commands = parsed.stream().map(Parsed::command).collect(Collectors.toSet());
    assertThat(commands).contains("ext-authz", "ratelimit", "ingest", "topology-api", "xds", "topics create", "slo");
    for (Parsed p : parsed) {
      assertThat(p.container().has("command")).as("%s: the image's entrypoint runs switchyard; give only args", p.describe())
          .isFalse();
    }
  }

  @Test
  void everyServiceAnswersProbesOnAnAdminPortReachableFromTheKubelet() {
    for (Parsed p : services()) {
      assertThat(p.value("--admin-host")).as("%s: probes come from the node, not loopback", p.describe()).isEqualTo("0.0.0.0");
      int admin = (Integer) p.value("--admin-port");
      JsonNode readiness = p.container().path("readinessProbe").path("httpGet");
      JsonNode liveness = p.container().path("livenessProbe").path("httpGet");
      assertThat(readiness.path("path").asText()).as("%s readinessProbe", p.describe()).isEqualTo("/readyz");
      assertThat(liveness.path("path").asText()).as("%s livenessProbe", p.describe()).isEqualTo("/healthz");
      assertThat(containerPort(p.container(), readiness.path("port"))).as("%s readiness port", p.describe()).isEqualTo(admin);
      assertThat(containerPort(p.container(), liveness.path("port"))).as("%s liveness port", p.describe()).isEqualTo(admin);
    }
  }

  @Test
  void everyServiceDrainsBeforeStoppingWithinItsGracePeriod() {
    for (Parsed p : services()) {
      Object value = p.value("--drain-seconds");
      int drain = value == null ? 0 : ((Number) value).intValue();
      assertThat(drain).as("%s: --drain-seconds, so that endpoints are removed before it stops", p.describe())
          .isGreaterThanOrEqualTo(5);
      int grace = p.pod().path("terminationGracePeriodSeconds").asInt(30);
      assertThat(grace).as("%s: terminationGracePeriodSeconds", p.describe())
          .isGreaterThanOrEqualTo(drain + GRPC_GRACE_SECONDS + EXIT_MARGIN_SECONDS);
    }
  }

  @Test
  void thePortsOfEveryCommandAreExactlyItsDeclaredContainerPorts() {
    for (Parsed p : parsed) {
      Set<Integer> declared = new TreeSet<>();
      p.container().path("ports").forEach(port -> declared.add(port.path("containerPort").asInt()));
      assertThat(declared).as("%s: containerPorts", p.describe()).isEqualTo(new TreeSet<>(p.ports().values()));
    }
  }

  @Test
  void everyServiceSelectsPodsThatServeItsTargetPorts() {
    List<Doc> services = all.stream().filter(d -> d.kind().equals("Service")).toList();
    assertThat(services).isNotEmpty();
    for (Doc s : services) {
      List<Doc> selected = selectedWorkloads(s);
      assertThat(selected).as("%s selects no workload", s).isNotEmpty();
      for (JsonNode port : s.node().path("spec").path("ports")) {
        JsonNode target = port.has("targetPort") ? port.get("targetPort") : port.get("port");
        for (Doc w : selected) {
          assertThat(ownerOf(w, target)).as("%s port %s: no container of %s serves targetPort %s", s, port.path("name").asText(),
              w, target).isPresent();
        }
        if (port.path("name").asText().startsWith("grpc")) {
          assertThat(port.path("appProtocol").asText()).as("%s port %s: gRPC needs HTTP/2 from the mesh's clients", s,
              port.path("name").asText()).isEqualTo("grpc");
        }
      }
    }
  }

  @Test
  void everyWorkloadHasResourcesAndRunsAsNonRoot() {
    for (Doc w : workloads(all)) {
      JsonNode pod = w.node().path("spec").path("template").path("spec");
      for (JsonNode c : pod.path("containers")) {
        String where = w + " container " + c.path("name").asText();
        assertThat(c.path("resources").path("requests").path("memory").isMissingNode()).as(where + ": memory request").isFalse();
        assertThat(c.path("resources").path("limits").path("memory").isMissingNode()).as(where + ": memory limit").isFalse();
        boolean nonRoot = c.path("securityContext").path("runAsNonRoot").asBoolean(false)
            || pod.path("securityContext").path("runAsNonRoot").asBoolean(false);
        assertThat(nonRoot).as(where + ": runAsNonRoot").isTrue();
        assertThat(c.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true))
            .as(where + ": allowPrivilegeEscalation").isFalse();
      }
    }
  }

  @Test
  void everyPathACommandNamesIsOnAVolumeAndMountedConfigsLoadWithTheRealLoaders() throws Exception {
    int loaded = 0;
    for (Parsed p : parsed) {
      for (Map.Entry<String, Path> e : pathArguments(p).entrySet()) {
        String arg = e.getValue().toString();
        JsonNode mount = mountOf(p.container(), arg);
        assertThat(mount).as("%s: %s %s is on no volume (the root filesystem is read-only)", p.describe(), e.getKey(), arg)
            .isNotNull();
        JsonNode volume = volume(p, mount.path("name").asText());
        if (!volume.has("configMap")) {
          continue;
        }
        Path local = materialize(p.workload(), volume, mount.path("mountPath").asText())
            .resolve(Path.of(mount.path("mountPath").asText()).relativize(Path.of(arg)).toString());
        assertThat(Files.exists(local)).as("%s: %s %s is not in ConfigMap %s", p.describe(), e.getKey(), arg,
            volume.path("configMap").path("name").asText()).isTrue();
        loaded += load(p, e.getKey(), local);
      }
    }
    assertThat(loaded).as("configs loaded: ext-authz policies, rate limit config, mesh file").isGreaterThanOrEqualTo(3);
  }

  @Test
  void theKafkaBootstrapComesFromOneConfigMap() {
    for (Parsed p : parsed) {
      if (p.leaf().commandSpec().findOption("--kafka") == null) {
        continue;
      }
      assertThat(p.leaf().hasMatchedOption("--kafka")).as("%s: --kafka", p.describe()).isTrue();
      JsonNode env = envVar(p.container(), rawArgAfter(p.container(), "--kafka").replaceAll("^\\$\\((.*)\\)$", "$1"));
      assertThat(env.path("valueFrom").path("configMapKeyRef").path("name").asText())
          .as("%s: --kafka comes from the switchyard-kafka ConfigMap", p.describe()).isEqualTo("switchyard-kafka");
    }
  }

  // ---- Istio ----

  @Test
  void istioProvidersNameSwitchyardServicesAndThePortsThatServeThem() throws IOException {
    JsonNode operator = yaml(ISTIO.resolve("install/istio-operator.yaml"));
    JsonNode helm = yaml(ISTIO.resolve("install/istiod-values.yaml"));
    assertThat(helm.path("meshConfig")).as("the Helm values and the IstioOperator declare the same providers")
        .isEqualTo(operator.path("spec").path("meshConfig"));
    Map<String, PortOwner> expected = Map.of(
        "envoyExtAuthzGrpc", new PortOwner("ext-authz", "--port"),
        "opentelemetry", new PortOwner("ingest", "--otlp-grpc-port"),
        "envoyHttpAls", new PortOwner("ingest", "--als-port"),
        "envoyTcpAls", new PortOwner("ingest", "--als-port"),
        "envoyOtelAls", new PortOwner("ingest", "--otlp-grpc-port"));
    Map<String, String> providers = providers();
    assertThat(providers).isNotEmpty();
    for (JsonNode provider : operator.path("spec").path("meshConfig").path("extensionProviders")) {
      String type = providers.get(provider.path("name").asText());
      assertThat(expected).as("provider %s: a type this test knows", provider.path("name").asText()).containsKey(type);
      JsonNode spec = provider.path(type);
      assertThat(serviceOwner(spec.path("service").asText(), spec.path("port").asInt()))
          .as("provider %s -> %s:%s", provider.path("name").asText(), spec.path("service").asText(), spec.path("port").asInt())
          .contains(expected.get(type));
    }
  }

  @Test
  void telemetryAndCustomAuthorizationNameDeclaredProvidersOfTheRightType() {
    Map<String, String> providers = providers();
    Doc telemetry = find(istio, "Telemetry", "mesh-default");
    for (JsonNode t : telemetry.node().path("spec").path("tracing")) {
      for (JsonNode p : t.path("providers")) {
        assertThat(providers.get(p.path("name").asText())).as("tracing provider %s", p.path("name").asText())
            .isEqualTo("opentelemetry");
      }
    }
    for (JsonNode a : telemetry.node().path("spec").path("accessLogging")) {
      for (JsonNode p : a.path("providers")) {
        assertThat(providers.get(p.path("name").asText())).as("access log provider %s", p.path("name").asText())
            .isIn("envoyHttpAls", "envoyTcpAls", "envoyOtelAls");
      }
    }
    List<Doc> custom = istio.stream().filter(d -> d.kind().equals("AuthorizationPolicy")
        && d.node().path("spec").path("action").asText().equals("CUSTOM")).toList();
    assertThat(custom).isNotEmpty();
    for (Doc d : custom) {
      assertThat(providers.get(d.node().path("spec").path("provider").path("name").asText())).as(d.toString())
          .isEqualTo("envoyExtAuthzGrpc");
    }
  }

  @Test
  void theEnvoyFilterIsAValidRateLimitFilterWhoseDomainAndDescriptorsTheRateLimitConfigHas() throws Exception {
    RateLimitConfig config = rateLimitConfig();
    int filters = 0;
    int descriptors = 0;
    for (Doc d : istio.stream().filter(d -> d.kind().equals("EnvoyFilter")).toList()) {
      for (JsonNode patch : d.node().path("spec").path("configPatches")) {
        JsonNode value = patch.path("patch").path("value");
        if (patch.path("applyTo").asText().equals("HTTP_FILTER") && value.path("name").asText().equals("envoy.filters.http.ratelimit")) {
          JsonNode typed = value.path("typed_config");
          assertThat(typed.path("@type").asText()).isEqualTo("type.googleapis.com/" + RateLimit.getDescriptor().getFullName());
          RateLimit filter = proto(withoutType(typed), RateLimit.newBuilder());
          assertThat(config.domains()).as("%s: domain of the rate limit filter", d).containsKey(filter.getDomain());
          Matcher cluster = Pattern.compile("outbound\\|(\\d+)\\|\\|(.+)")
              .matcher(filter.getRateLimitService().getGrpcService().getEnvoyGrpc().getClusterName());
          assertThat(cluster.matches()).as("%s: Istio's outbound|PORT||HOST cluster", d).isTrue();
          assertThat(serviceOwner(cluster.group(2), Integer.parseInt(cluster.group(1)))).as("%s: rate limit service", d)
              .contains(new PortOwner("ratelimit", "--port"));
          filters++;
        }
        for (JsonNode rl : value.path("rate_limits")) {
          io.envoyproxy.envoy.config.route.v3.RateLimit limit =
              proto(rl, io.envoyproxy.envoy.config.route.v3.RateLimit.newBuilder());
          for (String domain : rateLimitDomains()) {
            assertThat(config.domain(domain).match(descriptor(limit))).as("%s: descriptor %s in domain %s", d, limit, domain)
                .isNotNull();
          }
          descriptors++;
        }
      }
    }
    assertThat(filters).isEqualTo(1);
    assertThat(descriptors).isPositive();
  }

  // ---- plain Envoy ----

  @Test
  void theEnvoyBootstrapParsesAndItsNodeGroupAndServicesAreTheMeshFiles() throws Exception {
    Doc bootstrapMap = find(components.get("envoy"), "ConfigMap", "switchyard-envoy-bootstrap");
    Bootstrap bootstrap = proto(YAML.readTree(bootstrapMap.node().path("data").path("bootstrap.yaml").asText()),
        Bootstrap.newBuilder());
    String adsCluster = bootstrap.getDynamicResources().getAdsConfig().getGrpcServices(0).getEnvoyGrpc().getClusterName();
    var xds = bootstrap.getStaticResources().getClustersList().stream().filter(c -> c.getName().equals(adsCluster)).findFirst();
    assertThat(xds).as("the ADS cluster %s", adsCluster).isPresent();
    SocketAddress address = xds.get().getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
        .getSocketAddress();
    assertThat(serviceOwner(address.getAddress(), address.getPortValue())).as("the bootstrap's xDS server")
        .contains(new PortOwner("xds", "--port"));

    Doc envoy = find(all, "Deployment", "edge-gateway");
    JsonNode pod = envoy.node().path("spec").path("template");
    JsonNode container = pod.path("spec").path("containers").get(0);
    String nodeCluster = bootstrap.getNode().getCluster();
    assertThat(rawArgAfter(container, "--service-cluster")).as("--service-cluster").isEqualTo(nodeCluster);
    assertThat(rawArgAfter(container, "--service-node")).as("Istio's node id form, which ingest reads")
        .matches("sidecar~\\$\\(POD_IP\\)~\\$\\(POD_NAME\\)\\.\\$\\(POD_NAMESPACE\\)~\\$\\(POD_NAMESPACE\\)\\.svc\\.cluster\\.local");

    Mesh mesh = mesh();
    Mesh.Workload w = mesh.workloadForNodeGroup(nodeCluster).orElseThrow(() -> new AssertionError(
        "the mesh file has no workload with nodeGroup " + nodeCluster));
    assertThat(w.namespace()).isEqualTo(namespace);
    assertThat(w.serviceAccount()).isEqualTo(pod.path("spec").path("serviceAccountName").asText());
    Map<String, String> podLabels = JSON.convertValue(pod.path("metadata").path("labels"), Map.class);
    assertThat(podLabels).as("ext-authz policies select the gateway by the mesh file's labels").containsAllEntriesOf(w.labels());
    assertThat(containerPorts(container)).as("listenerPort").contains(w.listenerPort());
    Set<Integer> podPorts = new TreeSet<>();
    pod.path("spec").path("containers").forEach(c -> podPorts.addAll(containerPorts(c)));
    assertThat(podPorts).as("appPorts").containsAll(w.appPorts());

    Mesh.SwitchyardEndpoints s = mesh.switchyard();
    assertThat(serviceOwner(s.extAuthz().orElseThrow())).contains(new PortOwner("ext-authz", "--port"));
    assertThat(serviceOwner(s.rateLimit().orElseThrow())).contains(new PortOwner("ratelimit", "--port"));
    assertThat(serviceOwner(s.accessLog().orElseThrow())).contains(new PortOwner("ingest", "--als-port"));
    assertThat(serviceOwner(s.otlp().orElseThrow())).contains(new PortOwner("ingest", "--otlp-grpc-port"));
  }

  @Test
  void theMeshFilesRateLimitDomainsAndDescriptorsAreInTheRateLimitConfig() throws Exception {
    RateLimitConfig config = rateLimitConfig();
    int checked = 0;
    for (Mesh.Workload w : mesh().workloads()) {
      DomainConfig domain = config.domain(w.rateLimitDomain());
      for (Mesh.Route r : w.routes()) {
        for (Mesh.RateLimit rl : r.rateLimits()) {
          assertThat(domain).as("workload %s: rateLimitDomain %s", w.name(), w.rateLimitDomain()).isNotNull();
          assertThat(domain.match(descriptor(rl))).as("workload %s route %s: %s", w.name(), r.name(), rl).isNotNull();
          checked++;
        }
      }
    }
    assertThat(checked).isPositive();
  }

  // ---- Flink and the images ----

  @Test
  void theFlinkDeploymentRunsTheJobJarWithDocumentedArgumentsOnTheProjectsFlinkVersion() throws Exception {
    Doc flink = find(components.get("flink"), "FlinkDeployment", "switchyard-flink-jobs");
    JsonNode spec = flink.node().path("spec");
    String pom = Files.readString(Path.of("../pom.xml"));
    Matcher version = Pattern.compile("<flink.version>(\\d+)\\.(\\d+)\\.\\d+</flink.version>").matcher(pom);
    assertThat(version.find()).isTrue();
    assertThat(spec.path("flinkVersion").asText()).isEqualTo("v" + version.group(1) + "_" + version.group(2));

    String flinkPom = Files.readString(Path.of("../flink-jobs/pom.xml"));
    assertThat(flinkPom).contains("<mainClass>" + spec.path("job").path("entryClass").asText() + "</mainClass>");
    String jar = spec.path("job").path("jarURI").asText();
    assertThat(jar).startsWith("local:///");
    assertThat(flinkPom).contains("/" + Path.of(jar.substring("local://".length())).getFileName() + "</outputFile>");
    assertThat(Files.readString(DOCKER.resolve("Dockerfile.flink"))).as("Dockerfile.flink puts the job jar at jarURI")
        .containsPattern("COPY .*flink-jobs/target/switchyard-flink-jobs\\.jar " + Pattern.quote(jar.substring("local://".length())));

    Set<String> documented = new TreeSet<>();
    Matcher row = Pattern.compile("(?m)^\\| `(--[a-z-]+)`").matcher(Files.readString(Path.of("../docs/flink-jobs.md")));
    while (row.find()) {
      documented.add(row.group(1));
    }
    assertThat(documented).contains("--kafka", "--topic-prefix");
    List<String> args = JSON.convertValue(spec.path("job").path("args"), List.class);
    for (String a : args) {
      if (a.startsWith("--")) {
        assertThat(documented).as("job argument %s (docs/flink-jobs.md, Arguments)", a).contains(a);
      }
    }
    // The Kafka settings come from the base's ConfigMap through kustomize replacements.
    Map<String, String> flagOfKey = Map.of("bootstrap.servers", "--kafka", "topic.prefix", "--topic-prefix");
    Doc kafka = find(base, "ConfigMap", "switchyard-kafka");
    JsonNode component = yaml(KUBERNETES.resolve("components/flink/kustomization.yaml"));
    Set<String> replaced = new TreeSet<>();
    for (JsonNode r : component.path("replacements")) {
      String key = r.path("source").path("fieldPath").asText().replaceFirst("^data\\.", "").replace("\\.", ".");
      assertThat(r.path("source").path("name").asText()).isEqualTo("switchyard-kafka");
      assertThat(kafka.node().path("data").has(key)).as("switchyard-kafka has %s", key).isTrue();
      for (JsonNode t : r.path("targets")) {
        for (JsonNode path : t.path("fieldPaths")) {
          Matcher m = Pattern.compile("spec\\.job\\.args\\.(\\d+)").matcher(path.asText());
          assertThat(m.matches()).as(path.asText()).isTrue();
          int i = Integer.parseInt(m.group(1));
          assertThat(args.get(i - 1)).as("argument %d is the value of %s", i, flagOfKey.get(key)).isEqualTo(flagOfKey.get(key));
          replaced.add(key);
        }
      }
    }
    assertThat(replaced).isEqualTo(flagOfKey.keySet());
  }

  @Test
  void theImageHoldsTheJarsWhereTheLauncherLooksForThem() throws IOException {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    Matcher home = Pattern.compile("-Dswitchyard\\.home=([^\"]+)\"").matcher(dockerfile);
    assertThat(home.find()).isTrue();
    Matcher workdir = Pattern.compile("(?m)^WORKDIR (\\S+)").matcher(dockerfile);
    assertThat(workdir.find()).isTrue();
    assertThat(workdir.group(1)).isEqualTo(home.group(1));
    assertThat(dockerfile).as("the Flink jobs' local jar, which `slo` runs").contains(
        "COPY " + LocalFlinkJar.DEFAULT_PATH + " " + LocalFlinkJar.DEFAULT_PATH);
    assertThat(dockerfile).contains("COPY launcher/target/switchyard.jar launcher/target/switchyard.jar");
    assertThat(dockerfile).contains("\"-jar\", \"" + home.group(1) + "/launcher/target/switchyard.jar\"");
    assertThat(Files.readString(Path.of("pom.xml"))).as("the launcher's jar name").contains("<finalName>switchyard</finalName>");
    // Every COPY source must pass the build context's ignore list.
    Set<String> allowed = Files.readAllLines(DOCKER.resolve("Dockerfile.dockerignore")).stream()
        .filter(l -> l.startsWith("!")).map(l -> l.substring(1)).collect(Collectors.toSet());
    Matcher copy = Pattern.compile("(?m)^COPY (?:--\\S+ )*(\\S+) ").matcher(dockerfile);
    while (copy.find()) {
      assertThat(allowed).as("Dockerfile.dockerignore lets %s into the context", copy.group(1))
          .contains(copy.group(1).replaceFirst("/$", ""));
    }
    int uid = Integer.parseInt(dockerfile.replaceAll("(?s).*\\nUSER (\\d+):.*", "$1"));
    for (Parsed p : parsed) {
      assertThat(p.pod().path("securityContext").path("runAsUser").asInt()).as("%s runs as the image's user", p.describe())
          .isEqualTo(uid);
    }
  }

  // ---- helpers: the manifests ----

  static List<Path> componentDirs() throws IOException {
    try (Stream<Path> s = Files.list(KUBERNETES.resolve("components"))) {
      return s.filter(Files::isDirectory).sorted().toList();
    }
  }

  static Set<Path> listedFiles(Path dir) throws IOException {
    JsonNode k = yaml(dir.resolve("kustomization.yaml"));
    Set<Path> files = new TreeSet<>();
    for (JsonNode r : k.path("resources")) {
      files.add(dir.resolve(r.asText()).normalize());
    }
    for (JsonNode p : k.path("patches")) {
      files.add(dir.resolve(p.path("path").asText()).normalize());
    }
    return files;
  }

  static List<Doc> resources(Path dir, JsonNode kustomization) throws IOException {
    List<Doc> docs = new ArrayList<>();
    for (JsonNode r : kustomization.path("resources")) {
      Path f = dir.resolve(r.asText());
      assertThat(f).as("resource of %s", dir).isRegularFile();
      docs.addAll(docs(f));
    }
    return docs;
  }

  static List<Doc> docs(Path file) throws IOException {
    List<Doc> docs = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          docs.add(new Doc(file, n));
        }
      }
    }
    return docs;
  }

  static Doc one(Path file) throws IOException {
    List<Doc> d = docs(file);
    assertThat(d).as(file.toString()).hasSize(1);
    return d.get(0);
  }

  static JsonNode yaml(Path file) throws IOException {
    return YAML.readTree(file.toFile());
  }

  static Doc find(List<Doc> docs, String kind, String name) {
    return docs.stream().filter(d -> d.kind().equals(kind) && d.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  static List<Doc> workloads(List<Doc> docs) {
    return docs.stream().filter(d -> Set.of("Deployment", "StatefulSet", "Job", "DaemonSet").contains(d.kind())).toList();
  }

  static String imageName(JsonNode container) {
    return container.path("image").asText().replaceFirst(":[^/:]+$", "");
  }

  /** A strategic merge patch as far as these manifests use one: fields merge, containers merge by name. */
  static JsonNode merge(JsonNode target, JsonNode patch) {
    ObjectNode out = target.deepCopy();
    patch.fields().forEachRemaining(e -> {
      JsonNode t = out.get(e.getKey());
      if (e.getKey().equals("containers") && t instanceof ArrayNode ts) {
        for (JsonNode pc : e.getValue()) {
          for (int i = 0; i < ts.size(); i++) {
            if (ts.get(i).path("name").equals(pc.path("name"))) {
              ts.set(i, merge(ts.get(i), pc));
            }
          }
        }
      } else if (t != null && t.isObject() && e.getValue().isObject()) {
        out.set(e.getKey(), merge(t, e.getValue()));
      } else {
        out.set(e.getKey(), e.getValue());
      }
    });
    return out;
  }

  static Parsed parse(Doc workload, JsonNode pod, JsonNode container) {
    List<String> args = new ArrayList<>();
    for (JsonNode a : container.path("args")) {
      args.add(expand(workload, container, a.asText()));
    }
    CommandLine cl = Main.commandLine();
    ParseResult result;
    try {
      result = cl.parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new AssertionError(workload + " container " + container.path("name").asText() + ": " + e.getMessage()
          + " in: " + String.join(" ", args), e);
    }
    ParseResult leaf = result;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
    }
    assertThat(leaf.commandSpec().userObject()).as("%s: a command that runs (not a group)", workload)
        .isNotInstanceOf(Runnable.class);
    return new Parsed(workload, pod, container, args, leaf);
  }

  /** Kubernetes' $(VAR) expansion of args, from the container's env (ConfigMap keys resolved from the manifests). */
  static String expand(Doc workload, JsonNode container, String arg) {
    Matcher m = ENV_REF.matcher(arg);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      JsonNode env = envVar(container, m.group(1));
      assertThat(env).as("%s: $(%s) is not in the container's env", workload, m.group(1)).isNotNull();
      m.appendReplacement(out, Matcher.quoteReplacement(envValue(workload, env)));
    }
    m.appendTail(out);
    return out.toString();
  }

  static JsonNode envVar(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals(name)) {
        return e;
      }
    }
    return null;
  }

  static String envValue(Doc workload, JsonNode env) {
    if (env.has("value")) {
      return env.get("value").asText();
    }
    JsonNode ref = env.path("valueFrom").path("configMapKeyRef");
    if (!ref.isMissingNode()) {
      JsonNode data = find(all, "ConfigMap", ref.path("name").asText()).node().path("data");
      assertThat(data.has(ref.path("key").asText())).as("%s: ConfigMap %s has key %s", workload, ref.path("name").asText(),
          ref.path("key").asText()).isTrue();
      return data.get(ref.path("key").asText()).asText();
    }
    return "from-" + env.path("valueFrom").fieldNames().next();
  }

  static String rawArgAfter(JsonNode container, String flag) {
    List<String> raw = new ArrayList<>();
    container.path("args").forEach(a -> raw.add(a.asText()));
    int i = raw.indexOf(flag);
    assertThat(i).as("%s in %s", flag, raw).isNotNegative();
    return raw.get(i + 1);
  }

  static List<Parsed> services() {
    List<Parsed> s = parsed.stream().filter(p -> p.leaf().commandSpec().findOption("--drain-seconds") != null).toList();
    assertThat(s).isNotEmpty();
    return s;
  }

  static Set<Integer> containerPorts(JsonNode container) {
    Set<Integer> ports = new TreeSet<>();
    container.path("ports").forEach(p -> ports.add(p.path("containerPort").asInt()));
    return ports;
  }

  /** A probe's or Service's port (a number or a port name) as the container's port number; -1 when it has none. */
  static int containerPort(JsonNode container, JsonNode port) {
    if (port.isInt()) {
      return containerPorts(container).contains(port.asInt()) ? port.asInt() : -1;
    }
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(port.asText())) {
        return p.path("containerPort").asInt();
      }
    }
    return -1;
  }

  static List<Doc> selectedWorkloads(Doc service) {
    Map<String, String> selector = JSON.convertValue(service.node().path("spec").path("selector"), Map.class);
    assertThat(selector).as("%s selector", service).isNotEmpty();
    return workloads(all).stream().filter(w -> {
      Map<String, String> labels = JSON.convertValue(w.node().path("spec").path("template").path("metadata").path("labels"),
          Map.class);
      return labels != null && labels.entrySet().containsAll(selector.entrySet());
    }).toList();
  }

  /** Who serves {@code port} (number or name) in a workload's pod. */
  static Optional<PortOwner> ownerOf(Doc workload, JsonNode port) {
    for (JsonNode c : workload.node().path("spec").path("template").path("spec").path("containers")) {
      int number = containerPort(c, port);
      if (number < 0) {
        continue;
      }
      for (Parsed p : parsed) {
        if (p.workload().equals(workload) && p.container().equals(c)) {
          return p.ports().entrySet().stream().filter(e -> e.getValue() == number)
              .map(e -> new PortOwner(p.command(), e.getKey())).findFirst();
        }
      }
      return Optional.of(new PortOwner(c.path("name").asText(), String.valueOf(number)));
    }
    return Optional.empty();
  }

  /** Who serves {@code host:port}, where host is a Service's in-cluster DNS name. */
  static Optional<PortOwner> serviceOwner(String host, int port) {
    Matcher m = Pattern.compile("([a-z0-9-]+)\\.([a-z0-9-]+)\\.svc(\\.cluster\\.local)?").matcher(host);
    assertThat(m.matches()).as("%s is a Service's DNS name", host).isTrue();
    assertThat(m.group(2)).as("namespace of %s", host).isEqualTo(namespace);
    Doc service = find(all, "Service", m.group(1));
    for (JsonNode p : service.node().path("spec").path("ports")) {
      if (p.path("port").asInt() == port) {
        JsonNode target = p.has("targetPort") ? p.get("targetPort") : p.get("port");
        List<Doc> selected = selectedWorkloads(service);
        assertThat(selected).as("%s selects a workload", service).isNotEmpty();
        return ownerOf(selected.get(0), target);
      }
    }
    return Optional.empty();
  }

  static Optional<PortOwner> serviceOwner(Mesh.GrpcTarget target) {
    return serviceOwner(target.host(), target.port());
  }

  static Map<String, String> providers() {
    try {
      Map<String, String> types = new LinkedHashMap<>();
      for (JsonNode p : yaml(ISTIO.resolve("install/istio-operator.yaml")).path("spec").path("meshConfig").path("extensionProviders")) {
        Iterator<String> fields = p.fieldNames();
        List<String> kinds = new ArrayList<>();
        fields.forEachRemaining(f -> {
          if (!f.equals("name")) {
            kinds.add(f);
          }
        });
        assertThat(kinds).as("provider %s has one type", p.path("name").asText()).hasSize(1);
        assertThat(types.put(p.path("name").asText(), kinds.get(0))).as("duplicate provider %s", p.path("name").asText()).isNull();
      }
      return types;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  // ---- helpers: configs as the containers see them ----

  /** Options and positional parameters of type Path that the command line set. */
  static Map<String, Path> pathArguments(Parsed p) {
    Map<String, Path> paths = new LinkedHashMap<>();
    for (OptionSpec o : p.leaf().matchedOptions()) {
      if (o.type() == Path.class) {
        paths.put(o.longestName(), (Path) o.getValue());
      }
    }
    for (PositionalParamSpec pp : p.leaf().matchedPositionals()) {
      if (pp.type() == Path.class) {
        paths.put(pp.paramLabel(), (Path) pp.getValue());
      }
    }
    return paths;
  }

  static JsonNode mountOf(JsonNode container, String path) {
    JsonNode best = null;
    for (JsonNode m : container.path("volumeMounts")) {
      String mp = m.path("mountPath").asText();
      if ((path.equals(mp) || path.startsWith(mp + "/"))
          && (best == null || mp.length() > best.path("mountPath").asText().length())) {
        best = m;
      }
    }
    return best;
  }

  /** A pod volume, or a StatefulSet's per-replica claim. */
  static JsonNode volume(Parsed p, String name) {
    for (JsonNode v : p.pod().path("volumes")) {
      if (v.path("name").asText().equals(name)) {
        return v;
      }
    }
    for (JsonNode claim : p.workload().node().path("spec").path("volumeClaimTemplates")) {
      if (claim.path("metadata").path("name").asText().equals(name)) {
        return JSON.createObjectNode().set("persistentVolumeClaim", claim);
      }
    }
    throw new AssertionError(p.describe() + ": no volume " + name);
  }

  /**
   * The ConfigMap's keys laid out as the kubelet's atomic writer mounts them: the files in a hidden timestamped
   * folder, a {@code ..data} link to it, and one link per key through {@code ..data}.
   */
  static Path materialize(Doc workload, JsonNode volume, String mountPath) throws IOException {
    String name = volume.path("configMap").path("name").asText();
    Path dir = kubeletRoot.resolve(workload.name() + mountPath.replace('/', '_'));
    if (Files.exists(dir)) {
      return dir;
    }
    Path version = dir.resolve("..2026_01_01_00_00_00.000000001");
    Files.createDirectories(version);
    JsonNode data = find(all, "ConfigMap", name).node().path("data");
    for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Files.writeString(version.resolve(e.getKey()), e.getValue().asText(), StandardCharsets.UTF_8);
    }
    Files.createSymbolicLink(dir.resolve("..data"), version.getFileName());
    for (Iterator<String> it = data.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      Files.createSymbolicLink(dir.resolve(key), Path.of("..data", key));
    }
    return dir;
  }

  /** Loads a mounted config with the loader the command uses; returns 1 when one was loaded. */
  static int load(Parsed p, String option, Path local) throws Exception {
    String at = p.describe() + ": " + option;
    switch (p.command() + " " + option) {
      case "ext-authz --policy-dir" -> {
        PolicySet set = new PolicyLoader((String) p.value("--root-namespace")).load(local);
        assertThat(set.authorizationPolicies()).as(at).isNotEmpty();
      }
      case "ratelimit --config-dir" -> {
        RateLimitConfig c = new RateLimitConfigLoader((Boolean) p.value("--merge-domains")).loadDirectory(local);
        assertThat(c.domains()).as(at).isNotEmpty();
      }
      case "xds --mesh" -> assertThat(MeshFiles.load(local).workloads()).as(at).isNotEmpty();
      default -> {
        // slo DIR: the SLO parser lives with the Flink jobs, which the launcher never loads; the folder must hold
        // SLO files the tool will see (hidden names are the kubelet's copies).
        try (Stream<Path> s = Files.list(local)) {
          assertThat(s.filter(f -> !f.getFileName().toString().startsWith(".")).count()).as(at).isPositive();
        }
        return 0;
      }
    }
    return 1;
  }

  static RateLimitConfig rateLimitConfig() throws Exception {
    Parsed rl = parsed.stream().filter(p -> p.command().equals("ratelimit")).findFirst().orElseThrow();
    String dir = ((Path) rl.value("--config-dir")).toString();
    JsonNode mount = mountOf(rl.container(), dir);
    Path local = materialize(rl.workload(), volume(rl, mount.path("name").asText()), mount.path("mountPath").asText());
    return new RateLimitConfigLoader().loadDirectory(local.resolve(Path.of(mount.path("mountPath").asText()).relativize(Path.of(dir)).toString()));
  }

  static Mesh mesh() throws Exception {
    Parsed xds = parsed.stream().filter(p -> p.command().equals("xds")).findFirst().orElseThrow();
    String file = ((Path) xds.value("--mesh")).toString();
    JsonNode mount = mountOf(xds.container(), file);
    Path local = materialize(xds.workload(), volume(xds, mount.path("name").asText()), mount.path("mountPath").asText());
    return MeshFiles.load(local.resolve(Path.of(mount.path("mountPath").asText()).relativize(Path.of(file)).toString()));
  }

  /** The domains the EnvoyFilter's descriptors are checked in: the filter's own. */
  static Set<String> rateLimitDomains() throws Exception {
    Set<String> domains = new LinkedHashSet<>();
    for (Doc d : istio.stream().filter(d -> d.kind().equals("EnvoyFilter")).toList()) {
      for (JsonNode patch : d.node().path("spec").path("configPatches")) {
        JsonNode typed = patch.path("patch").path("value").path("typed_config");
        if (typed.has("domain")) {
          domains.add(typed.get("domain").asText());
        }
      }
    }
    assertThat(domains).isNotEmpty();
    return domains;
  }

  /** The descriptor Envoy would send for a request to /login from 10.1.2.3. */
  static RateLimitDescriptor descriptor(io.envoyproxy.envoy.config.route.v3.RateLimit limit) {
    RateLimitDescriptor.Builder d = RateLimitDescriptor.newBuilder();
    for (var a : limit.getActionsList()) {
      if (a.hasRemoteAddress()) {
        d.addEntries(entry("remote_address", "10.1.2.3"));
      } else if (a.hasRequestHeaders()) {
        d.addEntries(entry(a.getRequestHeaders().getDescriptorKey(), a.getRequestHeaders().getHeaderName().equals(":path") ? "/login" : "x"));
      } else if (a.hasGenericKey()) {
        String key = a.getGenericKey().getDescriptorKey().isEmpty() ? "generic_key" : a.getGenericKey().getDescriptorKey();
        d.addEntries(entry(key, a.getGenericKey().getDescriptorValue()));
      } else {
        fail("rate limit action not covered by this test: " + a);
      }
    }
    return d.build();
  }

  static RateLimitDescriptor descriptor(Mesh.RateLimit limit) {
    RateLimitDescriptor.Builder d = RateLimitDescriptor.newBuilder();
    for (Mesh.RateLimitAction a : limit.actions()) {
      if (a instanceof Mesh.RateLimitAction.RemoteAddress) {
        d.addEntries(entry("remote_address", "10.1.2.3"));
      } else if (a instanceof Mesh.RateLimitAction.RequestHeaders h) {
        d.addEntries(entry(h.descriptorKey(), h.headerName().equals(":path") ? "/login" : "x"));
      } else if (a instanceof Mesh.RateLimitAction.GenericKey g) {
        d.addEntries(entry(g.descriptorKey().orElse("generic_key"), g.descriptorValue()));
      } else {
        fail("rate limit action not covered by this test: " + a);
      }
    }
    return d.build();
  }

  static RateLimitDescriptor.Entry entry(String key, String value) {
    return RateLimitDescriptor.Entry.newBuilder().setKey(key).setValue(value).build();
  }

  static JsonNode withoutType(JsonNode typed) {
    ObjectNode o = typed.deepCopy();
    o.remove("@type");
    return o;
  }

  /** Parses YAML-as-JSON into an Envoy proto the way Envoy reads it: unknown fields are errors. */
  @SuppressWarnings("unchecked")
  static <T extends Message> T proto(JsonNode node, Message.Builder builder) throws IOException {
    JsonFormat.parser().usingTypeRegistry(EnvoyTypes.registry()).merge(JSON.writeValueAsString(node), builder);
    return (T) builder.build();
  }

  // ---- helpers: processes ----

  static boolean onPath(String command) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, command)));
  }

  static int kustomize(Path dir) throws Exception {
    Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    if (p.exitValue() != 0) {
      System.err.println(out);
    }
    return p.exitValue();
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path f : s.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }
}
