package io.switchyard.xds.server;

import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigLoader;
import io.switchyard.xds.envoy.ConsistencyCheck;
import io.switchyard.xds.envoy.EnvoyResources;
import io.switchyard.xds.envoy.ResourceGenerator;
import io.switchyard.xds.mesh.Mesh;
import io.switchyard.xds.mesh.MeshFileException;
import io.switchyard.xds.mesh.MeshFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A loaded mesh together with the resources of every node group. Generation and the consistency check run at
 * load time, so a mesh that would produce inconsistent resources is rejected like a syntax error and the last
 * good snapshot keeps serving.
 */
record MeshConfig(Mesh mesh, Map<String, EnvoyResources> groups) {

  static final ConfigLoader<MeshConfig> LOADER = MeshConfig::load;

  static MeshConfig load(Path file) throws ConfigException {
    Mesh mesh;
    try {
      mesh = MeshFiles.load(file);
    } catch (MeshFileException e) {
      throw new ConfigException(e.file(), e.line(), e.column(), e.reason());
    }
    Map<String, EnvoyResources> groups = new ResourceGenerator(mesh).generateAll();
    for (EnvoyResources r : groups.values()) {
      List<String> problems = ConsistencyCheck.problems(r);
      if (!problems.isEmpty()) {
        throw new ConfigException(file, 0, 0, "node group " + r.nodeGroup() + " would get inconsistent resources: "
            + String.join("; ", problems));
      }
    }
    return new MeshConfig(mesh, Map.copyOf(groups));
  }
}
