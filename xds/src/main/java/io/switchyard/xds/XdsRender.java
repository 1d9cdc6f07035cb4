package io.switchyard.xds;

import io.switchyard.xds.envoy.ConsistencyCheck;
import io.switchyard.xds.envoy.EnvoyResources;
import io.switchyard.xds.envoy.ResourceGenerator;
import io.switchyard.xds.envoy.YamlRenderer;
import io.switchyard.xds.mesh.Mesh;
import io.switchyard.xds.mesh.MeshFileException;
import io.switchyard.xds.mesh.MeshFiles;
import io.switchyard.xds.mesh.Mesh.Workload;
import java.nio.file.Path;

/** What {@code switchyard xds render} prints: the checked resources one node group would receive, as YAML. */
public final class XdsRender {
  private XdsRender() {}

  /**
   * @throws MeshFileException when the mesh file is invalid
   * @throws IllegalArgumentException when no workload uses {@code nodeGroup}
   */
  public static String render(Path meshFile, String nodeGroup) throws MeshFileException {
    Mesh mesh = MeshFiles.load(meshFile);
    EnvoyResources resources = new ResourceGenerator(mesh).generate(nodeGroup)
        .orElseThrow(() -> new IllegalArgumentException("no workload in " + meshFile + " uses node group '"
            + nodeGroup + "'; known groups: " + mesh.workloads().stream().map(Workload::nodeGroup).toList()));
    ConsistencyCheck.require(resources);
    return YamlRenderer.render(resources);
  }
}
