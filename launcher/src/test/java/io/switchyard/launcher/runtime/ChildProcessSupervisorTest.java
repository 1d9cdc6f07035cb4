package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ChildProcessSupervisorTest {

  @Test
  void restartsADyingChildAndForwardsItsOutput() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    try (ChildProcessSupervisor s = ChildProcessSupervisor.builder("dying",
            ChildProcessSupervisor.javaCommand(List.of("-Xmx32m"), DyingChild.class.getName(), List.of()))
        .output(lines::add)
        .backoff(Duration.ofMillis(10), Duration.ofMillis(100))
        .build().start()) {
      await().atMost(Duration.ofSeconds(60)).until(() -> s.starts() >= 3);
      await().atMost(Duration.ofSeconds(10)).until(() -> lines.size() >= 2);
      assertThat(lines).allMatch(l -> l.equals("hello from child"));
    }
  }

  @Test
  void closeStopsTheChildAndNoRestartFollows() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    ChildProcessSupervisor s = ChildProcessSupervisor.builder("sleeping",
            ChildProcessSupervisor.javaCommand(List.of("-Xmx32m"), SleepingChild.class.getName(), List.of()))
        .output(lines::add)
        .backoff(Duration.ofMillis(10), Duration.ofMillis(10))
        .stopGrace(Duration.ofSeconds(10))
        .build().start();
    await().atMost(Duration.ofSeconds(30)).until(() -> lines.contains("switchyard-ready"));
    long pid = s.pid();
    s.close();
    assertThat(s.isAlive()).isFalse();
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(s.starts()).isEqualTo(1);
  }

  @Test
  void eachUnexpectedExitIsReportedWithItsCodeAndTheDelayBeforeTheRestart() throws Exception {
    List<String> exits = new CopyOnWriteArrayList<>();
    try (ChildProcessSupervisor s = ChildProcessSupervisor.builder("dying",
            ChildProcessSupervisor.javaCommand(List.of("-Xmx32m"), DyingChild.class.getName(), List.of()))
        .output(line -> { })
        .onExit((code, restartIn) -> exits.add(code + " " + restartIn.toMillis()))
        .backoff(Duration.ofMillis(10), Duration.ofMillis(20))
        .build().start()) {
      await().atMost(Duration.ofSeconds(60)).until(() -> exits.size() >= 3);
      assertThat(exits.subList(0, 3)).containsExactly("3 10", "3 20", "3 20");
    }
  }
}
