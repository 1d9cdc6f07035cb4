package io.switchyard.serverkit.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading a config file's text the way every loader should, so that each refuses a bad file with the same reason. */
public final class ConfigFiles {
  private ConfigFiles() {}

  /**
   * The file's text. A file larger than {@link ConfigReloader#MAX_FILE_BYTES} is refused before it is read: a stray
   * huge file (a log written into the folder, a wrong mount) would otherwise be read whole into memory, and past
   * 2 GiB fail with an Error instead of a reason.
   *
   * @throws IOException when the file cannot be read (the caller words it)
   */
  public static String readText(Path file) throws IOException, ConfigException {
    ConfigReloader.checkSize(file);
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
