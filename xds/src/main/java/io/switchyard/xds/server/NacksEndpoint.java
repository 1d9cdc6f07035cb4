package io.switchyard.xds.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.switchyard.serverkit.http.HttpResponses;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /xds/nacks}: the latest configs clients rejected, newest first, with the client's own error message, so
 * an operator sees why a proxy runs an older config without reading the server log. {@code ?node_group=NAME}
 * narrows the list to one group.
 */
final class NacksEndpoint implements HttpHandler {
  static final String PATH = "/xds/nacks";

  private final Supplier<List<NackGuard.Rejection>> rejections;

  NacksEndpoint(Supplier<List<NackGuard.Rejection>> rejections) {
    this.rejections = rejections;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod())) {
        HttpResponses.error(ex, 405, "only GET is supported on " + PATH);
        return;
      }
      String group = queryParameter(ex.getRequestURI().getRawQuery(), "node_group");
      List<Map<String, Object>> out = new ArrayList<>();
      for (NackGuard.Rejection r : rejections.get()) {
        if (group != null && !group.equals(r.nodeGroup())) {
          continue;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node_group", r.nodeGroup());
        m.put("node_id", r.nodeId());
        m.put("type_url", r.typeUrl());
        m.put("version", r.version());
        m.put("nonce", r.nonce());
        m.put("error_detail", r.message());
        m.put("time", r.at().toString());
        out.add(m);
      }
      HttpResponses.json(ex, 200, Map.of("nacks", out));
    }
  }

  private static String queryParameter(String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
