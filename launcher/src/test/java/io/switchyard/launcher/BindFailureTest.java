package io.switchyard.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
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

  @Test
  void aGrpcServerLosingTheRaceOnNettysNativeTransportIsToldToo() throws IOException {
    // On Linux gRPC's Netty binds through epoll, whose failure is Netty's own IOException (NativeIoException, "bind(..)
    // failed with error(-98): Address already in use"), not a java.net.BindException: two ups started at once on
    // the same ports, the loser got a stack trace.
    try (ServerSocket held = new ServerSocket(0)) {
      Server late = NettyServerBuilder.forAddress(new InetSocketAddress("0.0.0.0", held.getLocalPort())).build();
      IOException failure = null;
      try {
        late.start();
      } catch (IOException e) {
        failure = e;
      } finally {
        late.shutdownNow();
      }
      assertThat(failure).isNotNull();
      assertThat(Main.bindFailure(new IllegalStateException(failure.toString(), failure)))
          .startsWith("java.io.IOException: Failed to bind to address /0.0.0.0:" + held.getLocalPort() + ": ")
          .endsWith("Address already in use");
      assertThat(Main.bindFailure(new IOException("Address already in use, said a log line"))).isNull();
    }
  }
}
