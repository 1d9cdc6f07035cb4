package io.switchyard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreePortsTest {
  @TempDir Path dir;

  @Test
  void portsAreNeverHandedOutTwiceAndCanBeBound() throws IOException {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = FreePorts.next();
      assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
    }
    int port = FreePorts.next();
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port));
      assertThat(s.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void portsComeFromBelowTheKernelsEphemeralRangeWhereItIsKnown() throws IOException {
    Path proc = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    assumeTrue(Files.exists(proc), "not Linux: no ephemeral range to stay out of");
    int[] range = FreePorts.range(proc);
    assertThat(range).as("the range below %s", proc).isNotNull();
    int low = Integer.parseInt(Files.readAllLines(proc).get(0).trim().split("\\s+")[0]);
    for (int i = 0; i < 50; i++) {
      assertThat(FreePorts.next()).isLessThan(low).isGreaterThanOrEqualTo(range[0]);
    }
  }

  @Test
  void theRangeIsTheTwelveThousandPortsBelowTheEphemeralOnes() throws IOException {
    Path file = dir.resolve("ip_local_port_range");
    Files.writeString(file, "32768\t60999\n");
    assertThat(FreePorts.range(file)).containsExactly(20_768, 32_768);
    Files.writeString(file, "15000 60999\n");
    assertThat(FreePorts.range(file)).containsExactly(10_000, 15_000);
    Files.writeString(file, "10500 60999\n");
    assertThat(FreePorts.range(file)).isNull(); // too little room below it
    Files.writeString(file, "garbage\n");
    assertThat(FreePorts.range(file)).isNull();
    assertThat(FreePorts.range(dir.resolve("missing"))).isNull();
  }
}
