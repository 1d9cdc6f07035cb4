package io.switchyard.serverkit.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class ConfigFilesTest {
  @Test
  void aFileErrorIsWordedWithWhyNotOnlyWhere() {
    // These exceptions' messages are the path alone: "cannot read: /cfg/a.yaml" named no reason.
    assertThat(ConfigFiles.why(new AccessDeniedException("/cfg/lost+found")))
        .isEqualTo("/cfg/lost+found: permission denied (the service runs as user " + System.getProperty("user.name") + ")");
    assertThat(ConfigFiles.why(new FileSystemLoopException("/cfg/sub/loop"))).isEqualTo("/cfg/sub/loop: a link loop");
    assertThat(ConfigFiles.why(new NoSuchFileException("/cfg/a.yaml"))).isEqualTo("/cfg/a.yaml: not found");
    assertThat(ConfigFiles.why(new FileSystemException("/cfg/a.yaml", null, "Is a directory")))
        .isEqualTo("/cfg/a.yaml: Is a directory");
    assertThat(ConfigFiles.why(new java.io.IOException("Input/output error"))).isEqualTo("Input/output error");
  }
}
