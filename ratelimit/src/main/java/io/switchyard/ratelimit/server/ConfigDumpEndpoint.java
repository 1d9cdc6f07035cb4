package io.switchyard.ratelimit.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.switchyard.ratelimit.config.DescriptorLevel;
import io.switchyard.ratelimit.config.DescriptorNode;
import io.switchyard.ratelimit.config.DomainConfig;
import io.switchyard.ratelimit.config.Limit;
import io.switchyard.ratelimit.config.RateLimitConfig;
import io.switchyard.serverkit.http.HttpResponses;
import java.io.IOException;
import java.util.function.Supplier;

/** The reference's {@code /rlconfig}: one line per configured limit, with the config version first. */
final class ConfigDumpEndpoint implements HttpHandler {
  private final Supplier<RateLimitConfig> config;
  private final java.util.function.LongSupplier version;

  ConfigDumpEndpoint(Supplier<RateLimitConfig> config, java.util.function.LongSupplier version) {
    this.config = config;
    this.version = version;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      HttpResponses.text(ex, 200, dump(config.get(), version.getAsLong()));
    }
  }

  static String dump(RateLimitConfig cfg, long version) {
    StringBuilder b = new StringBuilder("# config version ").append(version).append('\n');
    for (DomainConfig d : cfg.domains().values()) {
      b.append("# domain ").append(d.domain()).append(" from ").append(d.source()).append('\n');
      dump(b, d.root());
    }
    return b.toString();
  }

  private static void dump(StringBuilder b, DescriptorLevel level) {
    for (DescriptorNode n : level.entries()) {
      for (Limit l : n.limits()) {
        b.append(n.statsKey()).append(": ");
        if (l.unlimited()) {
          b.append("unlimited=true");
        } else {
          b.append("unit=").append(l.unit()).append(" requests_per_unit=").append(l.requestsPerUnit())
              .append(" algorithm=").append(l.algorithm().configName());
        }
        if (l.named()) {
          b.append(" name=").append(l.name());
        }
        if (!l.replaces().isEmpty()) {
          b.append(" replaces=").append(l.replaces().stream().sorted().toList());
        }
        b.append(", shadow_mode: ").append(n.shadowMode());
        if (n.quotaMode()) {
          b.append(", quota_mode: true");
        }
        b.append('\n');
      }
      dump(b, n.children());
    }
  }
}
