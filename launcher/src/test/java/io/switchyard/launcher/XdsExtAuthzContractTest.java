package io.switchyard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.request.PathNormalizer;
import io.switchyard.xds.XdsRender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Envoy config xds generates and the ext-authz service that `switchyard up` starts with its defaults must agree:
 * ext-authz trusts jwt_authn's claims under one metadata key only, and matches paths normalised in one way. xds and
 * ext-authz may not depend on each other, so the launcher, which has both, checks the rendered config against
 * ext-authz's defaults.
 */
class XdsExtAuthzContractTest {
  static final Path MESH = Path.of("../config/mesh.yaml");
  static JsonNode hcm;
  static ExtAuthzConfig extAuthz;

  @BeforeAll
  static void render() throws Exception {
    JsonNode rendered = new ObjectMapper(new YAMLFactory()).readTree(XdsRender.render(MESH, "edge"));
    hcm = rendered.at("/listeners/0/filter_chains/0/filters/0/typed_config");
    extAuthz = ExtAuthzConfig.defaults(Path.of("unused"));
  }

  @Test
  void everyJwtProviderWritesItsClaimsUnderTheKeyExtAuthzTrusts() {
    List<String> keys = new ArrayList<>();
    for (JsonNode filter : hcm.get("http_filters")) {
      if (filter.get("name").asText().equals("envoy.filters.http.jwt_authn")) {
        filter.at("/typed_config/providers").forEach(p -> keys.add(p.get("payload_in_metadata").asText()));
      }
    }
    assertThat(keys).as("config/mesh.yaml declares a JWT provider").isNotEmpty();
    assertThat(keys).containsOnly(extAuthz.jwtPayloadKey());
  }

  @Test
  void envoyNormalisesPathsAsExtAuthzsDefaultModeAssumes() {
    assertThat(extAuthz.normalization()).isEqualTo(PathNormalizer.Mode.BASE);
    // Istio's BASE: RFC 3986 normalisation, slashes not merged, escaped slashes kept.
    assertThat(hcm.path("normalize_path").asBoolean()).isTrue();
    assertThat(hcm.path("merge_slashes").asBoolean()).isFalse();
    assertThat(hcm.path("path_with_escaped_slashes_action").asText()).isEqualTo("KEEP_UNCHANGED");
  }
}
