package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

class OtlpGrpcServicesTest {
  static final class Answer implements StreamObserver<Object> {
    Throwable error;

    @Override
    public void onNext(Object value) {}

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {}
  }

  @Test
  void anExportThatFailsUnexpectedlyIsAnsweredInternalInsteadOfLeftOpen() {
    Answer out = new Answer();
    OtlpGrpcServices.admit(null, new Admission(4, 1 << 20), Runnable::run, Pipeline.SPANS, new byte[8], out, () -> {
      throw new IllegalStateException("a bug");
    });
    assertThat(out.error).isNotNull();
    Status status = Status.fromThrowable(out.error);
    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getDescription()).contains("a bug");
  }
}
