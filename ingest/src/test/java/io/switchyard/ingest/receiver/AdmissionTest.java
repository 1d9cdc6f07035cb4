package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class AdmissionTest {
  final List<Runnable> held = new ArrayList<>();
  final Executor workers = held::add;
  final List<String> ran = new ArrayList<>();

  @Test
  void requestsBeyondTheCountBoundAreRefusedUntilAQueuedOneStarts() {
    Admission admission = new Admission(2, 1 << 20);

    assertThat(admission.offer(10, workers, () -> ran.add("a"))).isTrue();
    assertThat(admission.offer(10, workers, () -> ran.add("b"))).isTrue();
    assertThat(admission.offer(10, workers, () -> ran.add("c"))).isFalse();
    assertThat(admission.queued()).isEqualTo(2);

    held.remove(0).run();
    assertThat(admission.queued()).isEqualTo(1);
    assertThat(admission.offer(10, workers, () -> ran.add("d"))).isTrue();
    held.forEach(Runnable::run);
    assertThat(ran).containsExactly("a", "b", "d");
    assertThat(admission.queued()).isZero();
  }

  @Test
  void queuedBytesAreBoundedButALoneRequestIsAlwaysAdmitted() {
    Admission admission = new Admission(10, 100);

    assertThat(admission.offer(500, workers, () -> {})).isTrue();
    assertThat(admission.offer(1, workers, () -> {})).isFalse();
    held.remove(0).run();
    assertThat(admission.offer(60, workers, () -> {})).isTrue();
    assertThat(admission.offer(40, workers, () -> {})).isTrue();
    assertThat(admission.offer(1, workers, () -> {})).isFalse();
  }

  @Test
  void theHttpExecutorRunsRefusedExchangesInlineMarkedAsRefusing() {
    Admission admission = new Admission(1, 1);
    Executor http = admission.httpExecutor(workers);
    List<Boolean> refusing = new ArrayList<>();

    http.execute(() -> refusing.add(Admission.refusing()));
    http.execute(() -> refusing.add(Admission.refusing()));
    assertThat(refusing).containsExactly(true);
    assertThat(Admission.refusing()).isFalse();
    held.remove(0).run();
    assertThat(refusing).containsExactly(true, false);
  }
}
