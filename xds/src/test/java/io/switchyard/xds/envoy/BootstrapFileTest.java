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
import java.nio.file.Path;
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
}
