package io.switchyard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
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

  @Test
  void aGrpcServerThatLosesItsPortToARaceIsToldInOneLineWhateverTransportNettyPicked() throws IOException {
    // On Linux gRPC's Netty binds with epoll, whose bind failure is Netty's own IOException, not a BindException.
    try (ServerSocket held = new ServerSocket()) {
      held.bind(new InetSocketAddress("0.0.0.0", 0));
      Server late = NettyServerBuilder.forAddress(new InetSocketAddress("0.0.0.0", held.getLocalPort())).build();
      IOException refused = null;
      try {
        late.start();
      } catch (IOException e) {
        refused = e;
      } finally {
        late.shutdownNow();
      }
      assertThat(refused).isNotNull();
      assertThat(Main.bindFailure(new IllegalStateException(refused))).contains("Address already in use");
    }
  }
}
