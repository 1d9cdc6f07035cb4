package io.switchyard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class BindFailureTest {
  @Test
  void aBindFailureLostToARaceIsToldByItsMessagesDownToTheBindException() throws IOException {
    try (ServerSocket held = new ServerSocket(0); ServerSocket late = new ServerSocket()) {
      BindException bind = null;
      try {
        late.bind(new InetSocketAddress("0.0.0.0", held.getLocalPort()));
      } catch (BindException e) {
        bind = e;
      }
      assertThat(bind).isNotNull();
      // gRPC's Netty server wraps it like this; the inner message is not repeated.
      IOException grpc = new IOException("Failed to bind to address /0.0.0.0:" + held.getLocalPort(), bind);
      assertThat(Main.bindFailure(new IllegalStateException(grpc.toString(), grpc)))
          .isEqualTo("java.io.IOException: Failed to bind to address /0.0.0.0:" + held.getLocalPort()
              + ": Address already in use");
      assertThat(Main.bindFailure(grpc)).isEqualTo("Failed to bind to address /0.0.0.0:" + held.getLocalPort()
          + ": Address already in use");
      assertThat(Main.bindFailure(new IOException("disk full"))).isNull();
    }
  }
}
