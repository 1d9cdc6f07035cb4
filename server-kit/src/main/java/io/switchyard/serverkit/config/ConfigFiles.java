package io.switchyard.serverkit.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading a config file's text the way every loader should, so that each refuses a bad file with the same reason. */
public final class ConfigFiles {
  private ConfigFiles() {}

  /**
   * The file's text. A file larger than {@link ConfigReloader#MAX_FILE_BYTES} is refused before it is read: a stray
   * huge file (a log written into the folder, a wrong mount) would otherwise be read whole into memory, and past
   * 2 GiB fail with an Error instead of a reason. Bytes that are not UTF-8 are refused at their line and column.
   *
   * @throws IOException when the file cannot be read (the caller words it)
   */
  public static String readText(Path file) throws IOException, ConfigException {
    ConfigReloader.checkSize(file);
    byte[] bytes = Files.readAllBytes(file);
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = utf8.decode(in, out, true);
    if (!r.isError()) {
      r = utf8.flush(out);
    }
    if (r.isError()) {
      // Files.readString said only "Input length = 1": no line, no byte. A Latin-1 editor save is the usual cause.
      int at = in.position();
      int lineStart = 0;
      int line = 1;
      for (int i = 0; i < at; i++) {
        if (bytes[i] == '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      String before = new String(bytes, lineStart, at - lineStart, StandardCharsets.UTF_8);
      int column = before.codePointCount(0, before.length()) + 1;
      throw new ConfigException(file, line, column, String.format("byte 0x%02X is not UTF-8 (config files are UTF-8 "
          + "text, as a ConfigMap's data is)", bytes[at] & 0xff));
    }
    return out.flip().toString();
  }

  /**
   * Why a file could not be read or listed, for a refusal: the JDK's AccessDeniedException and its kin carry only the
   * path as their message, which said where but not why.
   */
  public static String why(IOException e) {
    String where = e instanceof FileSystemException f && f.getFile() != null ? f.getFile() : null;
    String reason;
    if (e instanceof AccessDeniedException) {
      reason = "permission denied (the service runs as user " + System.getProperty("user.name") + ")";
    } else if (e instanceof FileSystemLoopException) {
      reason = "a link loop";
    } else if (e instanceof NoSuchFileException) {
      reason = "not found";
    } else if (e instanceof FileSystemException f) {
      reason = f.getReason() == null ? e.getClass().getSimpleName() : f.getReason();
    } else {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    return where == null ? reason : where + ": " + reason;
  }
}
