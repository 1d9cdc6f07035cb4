package io.switchyard.xds.mesh;

import java.nio.file.Path;

/**
 * A mesh file that cannot be used, located by file and line so the user can fix it. The service layer turns it
 * into server-kit's {@code ConfigException}; the mesh model itself stays free of the server kit so that
 * {@code render} and the benchmarks can use it alone.
 */
public final class MeshFileException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Path file;
  private final int line;
  private final int column;
  private final String reason;

  public MeshFileException(Path file, int line, int column, String reason) {
    super(file + ":" + line + ":" + column + ": " + reason);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
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
