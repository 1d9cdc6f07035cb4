package io.switchyard.launcher.cli;

import java.nio.file.Path;

/** Where Switchyard is installed: {@code -Dswitchyard.home} (set by bin/switchyard), else the working directory. */
final class Installation {
  private Installation() {}

  static Path home() {
    String h = System.getProperty("switchyard.home");
    return h == null || h.isBlank() ? Path.of("").toAbsolutePath() : Path.of(h);
  }
}
