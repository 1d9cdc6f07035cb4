package io.switchyard.xds.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.switchyard.xds.mesh.MeshFiles;
import com.fasterxml.jackson.databind.JsonNode;
import io.envoyproxy.envoy.config.bootstrap.v3.RuntimeLayer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped Envoy bootstrap parses as an Envoy Bootstrap proto and points at our ADS server over HTTP/2. */
class BootstrapFileTest {
  @Test
  void shippedBootstrapIsAValidEnvoyBootstrapPointingAtAds() throws Exception {
    String json = new ObjectMapper().writeValueAsString(
        new ObjectMapper(new YAMLFactory()).readTree(Path.of("../deploy/envoy/bootstrap.yaml").toFile()));
    Bootstrap.Builder b = Bootstrap.newBuilder();
    JsonFormat.parser().usingTypeRegistry(EnvoyTypes.registry()).merge(json, b);
    Bootstrap bootstrap = b.build();

    assertThat(bootstrap.getDynamicResources().getAdsConfig().getApiType()).isEqualTo(ApiConfigSource.ApiType.GRPC);
    assertThat(bootstrap.getDynamicResources().getCdsConfig().hasAds()).isTrue();
    assertThat(bootstrap.getDynamicResources().getLdsConfig().hasAds()).isTrue();
    assertThat(bootstrap.getNode().getId()).matches("sidecar~[0-9.]+~[^.]+\\.[^~]+~[^.]+\\.svc\\.cluster\\.local");
    Cluster xds = bootstrap.getStaticResources().getClusters(0);
    assertThat(xds.getName()).isEqualTo(bootstrap.getDynamicResources().getAdsConfig().getGrpcServices(0)
        .getEnvoyGrpc().getClusterName());
    assertThat(xds.getTypedExtensionProtocolOptionsOrThrow(EnvoyNames.HTTP_PROTOCOL_OPTIONS)
        .unpack(HttpProtocolOptions.class).getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
    // The bootstrap's node group is one the shipped example mesh serves.
    assertThat(MeshFiles.load(Path.of("../config/mesh.yaml")).workloadForNodeGroup(bootstrap.getNode().getCluster()))
        .isPresent();
  }

  /**
   * Envoy refuses a safe_regex whose RE2 program size is over the runtime key re2.max_program_size.error_level, 100
   * unless set (source/common/common/regex.cc), with the whole route configuration. Istio's bootstrap sets 32768
   * (pkg/bootstrap/config.go extractRuntimeFlags) in a static layer followed by an admin layer
   * (envoy_bootstrap.json); the shipped bootstraps do the same, so a regex Istio's Envoys take is not NACKed by ours.
   */
  @Test
  void shippedBootstrapsAllowRegexProgramsAsLargeAsIstiosBootstrapDoes() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode kubernetes = null;
    for (JsonNode doc : yaml.readerFor(JsonNode.class).<JsonNode>readValues(
        Path.of("../deploy/kubernetes/components/envoy/envoy.yaml").toFile()).readAll()) {
      if (doc.path("kind").asText().equals("ConfigMap")
          && doc.path("metadata").path("name").asText().equals("switchyard-envoy-bootstrap")) {
        kubernetes = yaml.readTree(doc.path("data").path("bootstrap.yaml").asText());
      }
    }
    assertThat(kubernetes).as("the Kubernetes Envoy bootstrap").isNotNull();
    for (JsonNode file : List.of(yaml.readTree(Path.of("../deploy/envoy/bootstrap.yaml").toFile()), kubernetes)) {
      Bootstrap.Builder b = Bootstrap.newBuilder();
      JsonFormat.parser().usingTypeRegistry(EnvoyTypes.registry()).merge(new ObjectMapper().writeValueAsString(file), b);
      List<RuntimeLayer> layers = b.getLayeredRuntime().getLayersList();
      assertThat(layers).hasSize(2);
      assertThat(layers.get(0).getStaticLayer().getFieldsOrThrow("re2.max_program_size.error_level").getNumberValue())
          .isEqualTo(32768);
      assertThat(layers.get(1).hasAdminLayer()).as("runtime still settable through /runtime_modify").isTrue();
    }
  }
}
