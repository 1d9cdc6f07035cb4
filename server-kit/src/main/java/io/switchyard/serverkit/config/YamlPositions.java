package io.switchyard.serverkit.config;

import java.io.StringReader;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.ScalarEvent;

/**
 * Where in a YAML text SnakeYAML's errors that carry no mark happened, as 1-based {@code {line, column}}: its reader's
 * errors (a control character, a lone surrogate) give a code point offset, and its composer's nesting limit gives
 * nothing. Both are worked out again from the text, on the error path only.
 */
public final class YamlPositions {
  private static final int[] UNKNOWN = {0, 0};

  private YamlPositions() {}

  /** The line and column of the code point at {@code position}, counting code points and line breaks as SnakeYAML does. */
  public static int[] ofCodePoint(String text, int position) {
    int line = 1;
    int column = 1;
    int i = 0;
    for (int cp = 0; cp < position && i < text.length(); cp++) {
      char c = text.charAt(i);
      i += Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))
          ? 2 : 1;
      if (c == '\n' || (c == '\r' && (i >= text.length() || text.charAt(i) != '\n'))) {
        line++;
        column = 1;
      } else if (c != '\r') {
        column++;
      }
    }
    return new int[] {line, column};
  }

  /**
   * The line and column of the first node nested deeper than {@code limit}, read again as YAML events; {@code {0, 0}}
   * when the event parser alone cannot read that far.
   */
  public static int[] firstNestedDeeperThan(String text, int limit) {
    int depth = 0;
    try {
      for (Event e : new Yaml().parse(new StringReader(text))) {
        if (e instanceof CollectionStartEvent || e instanceof ScalarEvent) {
          if (depth > limit) {
            return new int[] {e.getStartMark().getLine() + 1, e.getStartMark().getColumn() + 1};
          }
          if (e instanceof CollectionStartEvent) {
            depth++;
          }
        } else if (e instanceof CollectionEndEvent) {
          depth--;
        }
      }
    } catch (RuntimeException e) {
      // The composer read that far; where the event parser alone does not, the error keeps no position.
    }
    return UNKNOWN.clone();
  }
}
