package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForegroundChildTest {
  @Test
  void theChildsErrorOutputStaysOnTheCommandsErrorStreamSoRedirectedOutputHoldsOnlyTheResult() throws Exception {
    // `switchyard slo rules DIR > rules.yaml` with an invalid folder: the child prints its error on stderr,
    // which must reach the terminal, not the rules file.
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code = ForegroundChild.run(List.of("sh", "-c", "echo 'groups: []'; echo 'error: bad.yaml:3: no target' >&2; exit 1"),
        new PrintWriter(out), new PrintWriter(err));

    assertThat(code).isEqualTo(1);
    assertThat(out.toString()).isEqualTo("groups: []" + System.lineSeparator());
    assertThat(err.toString()).isEqualTo("error: bad.yaml:3: no target" + System.lineSeparator());
  }

  @Test
  void aChildWritingOnlyErrorsLeavesTheOutputEmpty() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code = ForegroundChild.run(List.of("sh", "-c", "for i in 1 2 3; do echo \"line $i\" >&2; done; exit 3"),
        new PrintWriter(out), new PrintWriter(err));

    assertThat(code).isEqualTo(3);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).isEqualTo(String.join(System.lineSeparator(), "line 1", "line 2", "line 3") + System.lineSeparator());
  }
}
