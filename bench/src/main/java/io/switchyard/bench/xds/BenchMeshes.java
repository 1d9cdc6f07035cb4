package io.switchyard.bench.xds;

/** Synthetic mesh files of a given size, shaped like the documented example. */
final class BenchMeshes {
  private BenchMeshes() {}

  /**
   * {@code services} services with 3 endpoints each, and one gateway workload (node group {@code edge}) with a
   * route per service carrying ext_authz context, two rate-limit actions and a retry policy.
   */
  static String mesh(int services, int endpointOffset) {
    StringBuilder b = new StringBuilder();
    b.append("switchyard:\n  extAuthz: {port: 9191}\n  rateLimit: {port: 8081}\n  accessLog: {port: 9001}\n")
        .append("  otlp: {port: 4317}\n");
    b.append("services:\n");
    for (int i = 0; i < services; i++) {
      b.append("  - name: svc-").append(i).append("\n    namespace: bench\n    ports: [{port: 8080}]\n")
          .append("    endpoints:\n");
      for (int e = 0; e < 3; e++) {
        int host = (i * 3 + e + endpointOffset) % 65_000;
        b.append("      - {address: 10.").append(host / 250 % 250).append('.').append(host % 250).append(".1")
            .append(", labels: {version: v").append(e % 2 + 1).append("}}\n");
      }
    }
    b.append("workloads:\n  - name: gateway\n    namespace: bench\n    labels: {app: gateway}\n")
        .append("    nodeGroup: edge\n    listenerPort: 8080\n    routes:\n");
    for (int i = 0; i < services; i++) {
      b.append("      - name: r").append(i).append("\n        match: {prefix: /svc-").append(i).append("/}\n")
          .append("        to: [{service: svc-").append(i).append("}]\n")
          .append("        retries: {attempts: 2}\n")
          .append("        rateLimits: [{actions: [{requestHeaders: {headerName: x-tenant, descriptorKey: tenant}},"
              + " {remoteAddress: {}}]}]\n");
    }
    return b.toString();
  }
}
