package io.switchyard.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free ports for servers started by tests: free when handed out, never handed out twice in one JVM, and, where the
 * kernel says which ports it gives out itself, outside that range.
 *
 * <p>Why not simply the port of a socket bound to port 0: that port comes from the kernel's ephemeral range, which the
 * kernel hands out again to the next socket bound to port 0 (a server started with port 0, as the admin server in
 * {@code DemoEndToEndIT}) and to the local end of every outgoing connection, and a test binds it only seconds later.
 * Both happened: the admin server took a port handed out for another server of the same run, which then failed to
 * bind. A port below the ephemeral range is never given out by the kernel on its own.
 */
public final class FreePorts {
  /** Linux: the ephemeral range, as "low high". */
  private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  /** How many ports below the ephemeral range to choose from. */
  private static final int SPAN = 12_000;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int[] RANGE = range(EPHEMERAL_RANGE);

  private FreePorts() {}

  public static int next() {
    if (RANGE != null) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      for (int attempt = 0; attempt < 1_000; attempt++) {
        int port = RANGE[0] + random.nextInt(RANGE[1] - RANGE[0]);
        if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
          return port;
        }
      }
    }
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = ephemeral();
      if (HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port found that was not handed out already: " + HANDED_OUT.size() + " were");
  }

  /**
   * {@code [from, to)} below the kernel's ephemeral range read from {@code file}, {@code null} when the file is
   * missing or unreadable or the range starts too low to leave room under it.
   */
  static int[] range(Path file) {
    // Read as a stream: /proc files report a size of 0 or 4096, and Files.readString trusts that size (it read
    // "3" of "32768 60999"), which left every port to the kernel's own range.
    try (BufferedReader reader = Files.newBufferedReader(file)) {
      String[] lowHigh = String.valueOf(reader.readLine()).trim().split("\\s+");
      int low = Integer.parseInt(lowHigh[0]);
      int from = Math.max(10_000, low - SPAN);
      return low - from < 1_000 ? null : new int[] {from, low};
    } catch (IOException | RuntimeException e) {
      return null; // not Linux, or no such file: ports from the kernel, still never twice
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port)); // the wildcard address, as the servers bind
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int ephemeral() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
