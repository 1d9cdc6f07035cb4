package io.switchyard.xds.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.switchyard.xds.XdsRender;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No Envoy binary runs in our tests, so the rendered YAML is what we can review and pin. Regenerate after an
 * intended change with {@code -Dxds.updateGolden=true} and read the diff.
 */
class RenderGoldenTest {
  static final Path MESH = Path.of("src/test/resources/mesh/example.yaml");
  static final Path GOLDEN = Path.of("src/test/resources/golden");

  @ParameterizedTest
  @ValueSource(strings = {"edge", "reviews-sidecar", "grpc-clients"})
  void renderMatchesTheReviewedGoldenFile(String group) throws Exception {
    String rendered = XdsRender.render(MESH, group);
    Path golden = GOLDEN.resolve(group + ".yaml");
    if (Boolean.getBoolean("xds.updateGolden")) {
      Files.writeString(golden, rendered, StandardCharsets.UTF_8);
    }
    assertThat(rendered).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
  }

  /** The YAML a user reads must parse back into the same Envoy protos, with every @type resolvable. */
  @ParameterizedTest
  @ValueSource(strings = {"edge", "reviews-sidecar", "grpc-clients"})
  void renderedYamlParsesBackIntoEnvoyProtos(String group) throws Exception {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(XdsRender.render(MESH, group));
    JsonFormat.Parser parser = JsonFormat.parser().usingTypeRegistry(EnvoyTypes.registry());
    EnvoyResources back = new EnvoyResources(group,
        parse(parser, root.get("clusters"), Cluster::newBuilder),
        parse(parser, root.get("endpoints"), ClusterLoadAssignment::newBuilder),
        parse(parser, root.get("listeners"), Listener::newBuilder),
        parse(parser, root.get("routes"), RouteConfiguration::newBuilder));
    EnvoyResources original = new ResourceGenerator(
        io.switchyard.xds.mesh.MeshFiles.load(MESH)).generate(group).orElseThrow();
    assertThat(back).isEqualTo(original);
    assertThat(ConsistencyCheck.problems(back)).isEmpty();
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> List<T> parse(JsonFormat.Parser parser, JsonNode array,
      Supplier<Message.Builder> builder) throws Exception {
    List<T> out = new ArrayList<>();
    for (JsonNode n : array) {
      Message.Builder b = builder.get();
      parser.merge(n.toString(), b);
      out.add((T) b.build());
    }
    return out;
  }
}
