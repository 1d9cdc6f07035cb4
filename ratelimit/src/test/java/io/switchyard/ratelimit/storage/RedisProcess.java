package io.switchyard.ratelimit.storage;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;

/** A real redis-server on a free loopback port, started by the test itself. */
public final class RedisProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private RedisProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Skips the calling test (with the reason) when the Debian package redis-server is not installed. */
  public static RedisProcess start() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return start(port);
  }

  /** On a given port, e.g. one a service was pointed at before Redis ran; skips as {@link #start()}. */
  public static RedisProcess start(int port) throws IOException {
    Path binary = List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server").stream()
        .map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
    assumeTrue(binary != null, "redis-server not installed (Debian package redis-server); skipping Redis tests");
    Process p = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    RedisProcess r = new RedisProcess(p, port);
    int finalPort = port;
    Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
      try (Socket s = new Socket("127.0.0.1", finalPort)) {
        s.getOutputStream().write("PING\r\n".getBytes());
        return s.getInputStream().read() == '+';
      }
    });
    return r;
  }

  public URI uri() {
    return uri(port);
  }

  public static URI uri(int port) {
    return URI.create("redis://127.0.0.1:" + port);
  }

  public void flushAll() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream().write("FLUSHALL\r\n".getBytes());
      s.getInputStream().read();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
