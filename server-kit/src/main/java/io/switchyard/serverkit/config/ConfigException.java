package io.switchyard.serverkit.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A config file that cannot be used, with where and why: {@code file:line:column: reason}. Line and
 * column are 1-based; 0 means unknown.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final int column;
  private final String reason;

  public ConfigException(Path file, int line, int column, String reason) {
    super(format(file, line, column, reason));
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public ConfigException(Path file, int line, int column, String reason, Throwable cause) {
    this(file, line, column, reason);
    initCause(cause);
  }

  private static String format(Path file, int line, int column, String reason) {
    StringBuilder b = new StringBuilder(file == null ? "<config>" : file.toString());
    if (line > 0) {
      b.append(':').append(line);
      if (column > 0) {
        b.append(':').append(column);
      }
    }
    return b.append(": ").append(reason).toString();
  }

  public Path file() {
    return file;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  public String reason() {
    return reason;
  }
}
