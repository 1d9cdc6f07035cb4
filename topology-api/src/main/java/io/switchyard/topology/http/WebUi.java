package io.switchyard.topology.http;

import com.sun.net.httpserver.HttpExchange;
import io.switchyard.serverkit.http.HttpResponses;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The built-in page: a live service graph and SLO list drawn from this API, for the first five
 * minutes and for users without Grafana. Plain HTML, SVG and JavaScript bundled in the jar (no CDN);
 * loaded once at start. The page holds no data itself, so it is served without the bearer token.
 */
final class WebUi {
  private static final String BASE = "/io/switchyard/topology/web/";
  private static final Map<String, String> TYPES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "app.js", "text/javascript; charset=utf-8",
      "style.css", "text/css; charset=utf-8");

  private final Map<String, byte[]> files = new HashMap<>();

  WebUi() {
    for (String name : TYPES.keySet()) {
      try (InputStream in = WebUi.class.getResourceAsStream(BASE + name)) {
        if (in == null) {
          throw new IllegalStateException("web page resource missing from the class path: " + BASE + name);
        }
        files.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Whether {@code path} is the page's ({@code /}, {@code /index.html}, {@code /ui/*}), whether or not it exists. */
  boolean owns(String path) {
    return fileName(path) != null;
  }

  /** Whether {@code path} is one of the page's files. */
  boolean has(String path) {
    String name = fileName(path);
    return name != null && files.containsKey(name);
  }

  private static String fileName(String path) {
    return path.equals("/") || path.equals("/index.html") ? "index.html"
        : path.startsWith("/ui/") ? path.substring(4) : null;
  }

  /** Serves {@code /}, {@code /index.html} and {@code /ui/*}; false when the path is not the page's. */
  boolean serve(HttpExchange ex, String path) throws IOException {
    String name = fileName(path);
    if (name == null) {
      return false;
    }
    byte[] body = files.get(name);
    if (body == null) {
      HttpResponses.error(ex, 404, "no such page: " + path);
      return true;
    }
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    HttpResponses.send(ex, 200, TYPES.get(name), body);
    return true;
  }
}
