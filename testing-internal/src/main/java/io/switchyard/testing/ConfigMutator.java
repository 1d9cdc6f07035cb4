package io.switchyard.testing;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Breaks a valid YAML config the ways people and tools break one: lines lost, doubled or swapped, indentation off,
 * a value of the wrong type, a file cut short, a stray indicator, a key given twice. One seed gives one mutant, so a
 * failure printed with its seed can be replayed with {@code new ConfigMutator(seed).mutate(original)}.
 */
public final class ConfigMutator {

  /** A mutated text and the operators that made it, for the failure message. */
  public record Mutant(long seed, List<String> operators, String text) {}

  private static final Pattern KEY_VALUE = Pattern.compile("^(\\s*(?:- )?[^\\s#:][^:#]*?:)( +)(\\S.*)$");
  private static final Pattern LIST_ITEM = Pattern.compile("^(\\s*- )(\\S.*)$");
  private static final Pattern KEY = Pattern.compile("^(\\s*)(?:- )?([^\\s#:-][^:#]*?):(\\s.*)?$");

  /** Values of other types and edge cases: numbers, collections, empty, null, huge, negative, long, unicode. */
  private static final List<String> SCALARS = List.of(
      "0", "-1", "1", "1.5", "-0.0", "1e400", "99999999999999999999999999", "-99999999999999999999",
      "9223372036854775808", "2147483648", "0x7fffffff", ".nan", "-.inf", "[]", "{}", "[a, 1]", "{a: b}",
      "[[[[[]]]]]", "", "''", "\"\"", "null", "~", "true", "no", "x".repeat(10_000), "\"ünïcödé ☃ 🚀 中文\"", "ünï☃",
      "\"\\u0000\"", "\"\\t\"", "0s", "-5m", "1h", "999999999999d", "P1D", "*", "&a x", "!!binary AAAA", "!!int x",
      "|", ">", "@x", "`x`", "%x", "?", "-", "- -", ": :", "'unterminated", "\"unterminated",
      "[".repeat(5_000) + "]".repeat(5_000), "{a: ".repeat(2_000) + "b" + "}".repeat(2_000),
      "&x [*x]", "{? [a]: b}", "{[a, b]: c}", "!!map {a: b}", "!!set {a, b}", "!!timestamp 2001-12-14t21:59:43.10-05:00",
      "<<: {a: b}", "{<<: *undefined}");
  private static final List<String> STRAYS = List.of(":", "-", "[", "{", "\t", "]", "}", "\"", "'", "&", "*", "!",
      "%", "#", "|", ">", "?", ",", "@", ": ", "- ", "\u0000", "\u00ff", "\uFEFF", "\n", "\r", " ");

  private final long seed;
  private final Random random;

  public ConfigMutator(long seed) {
    this.seed = seed;
    this.random = new Random(seed);
  }

  /** One to three mutations of {@code original}. */
  public Mutant mutate(String original) {
    String text = original;
    List<String> ops = new ArrayList<>();
    int count = 1 + random.nextInt(3);
    for (int i = 0; i < count; i++) {
      int op = random.nextInt(10);
      String before = text;
      text = switch (op) {
        case 0 -> deleteLine(text, ops);
        case 1 -> duplicateLine(text, ops);
        case 2 -> swapLines(text, ops);
        case 3 -> reindent(text, ops);
        case 4, 5 -> replaceScalar(text, ops);
        case 6 -> truncate(text, ops);
        case 7, 8 -> insertStray(text, ops);
        default -> duplicateKey(text, ops);
      };
      if (text.equals(before) && ops.size() > i) {
        ops.set(i, ops.get(i) + " (no change)");
      }
    }
    return new Mutant(seed, List.copyOf(ops), text);
  }

  private static List<String> lines(String text) {
    return new ArrayList<>(Arrays.asList(text.split("\n", -1)));
  }

  private String deleteLine(String text, List<String> ops) {
    List<String> l = lines(text);
    int i = random.nextInt(l.size());
    l.remove(i);
    ops.add("delete line " + (i + 1));
    return String.join("\n", l);
  }

  private String duplicateLine(String text, List<String> ops) {
    List<String> l = lines(text);
    int i = random.nextInt(l.size());
    l.add(i, l.get(i));
    ops.add("duplicate line " + (i + 1));
    return String.join("\n", l);
  }

  private String swapLines(String text, List<String> ops) {
    List<String> l = lines(text);
    int i = random.nextInt(l.size());
    int j = random.nextBoolean() ? Math.min(l.size() - 1, i + 1) : random.nextInt(l.size());
    String t = l.get(i);
    l.set(i, l.get(j));
    l.set(j, t);
    ops.add("swap lines " + (i + 1) + " and " + (j + 1));
    return String.join("\n", l);
  }

  private String reindent(String text, List<String> ops) {
    List<String> l = lines(text);
    int i = random.nextInt(l.size());
    String line = l.get(i);
    int kind = random.nextInt(4);
    String changed = switch (kind) {
      case 0 -> " ".repeat(1 + random.nextInt(4)) + line;
      case 1 -> line.startsWith("  ") ? line.substring(2) : line.stripLeading();
      case 2 -> "\t" + line;
      default -> line.stripLeading();
    };
    l.set(i, changed);
    ops.add("reindent line " + (i + 1) + " (" + List.of("deeper", "shallower", "tab", "flush left").get(kind) + ")");
    return String.join("\n", l);
  }

  private String replaceScalar(String text, List<String> ops) {
    List<String> l = lines(text);
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      if (KEY_VALUE.matcher(l.get(i)).matches() || LIST_ITEM.matcher(l.get(i)).matches()) {
        candidates.add(i);
      }
    }
    if (candidates.isEmpty()) {
      return insertStray(text, ops);
    }
    int i = candidates.get(random.nextInt(candidates.size()));
    String value = SCALARS.get(random.nextInt(SCALARS.size()));
    Matcher kv = KEY_VALUE.matcher(l.get(i));
    if (kv.matches()) {
      l.set(i, kv.group(1) + " " + value);
    } else {
      Matcher item = LIST_ITEM.matcher(l.get(i));
      item.matches();
      l.set(i, item.group(1) + value);
    }
    ops.add("replace the value on line " + (i + 1) + " with " + abbreviate(value));
    return String.join("\n", l);
  }

  /** Cuts the UTF-8 bytes anywhere, even inside a character (which then reads as U+FFFD). */
  private String truncate(String text, List<String> ops) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
    ops.add("truncate at byte " + at);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes, 0, at)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private String insertStray(String text, List<String> ops) {
    String stray = STRAYS.get(random.nextInt(STRAYS.size()));
    int at = text.isEmpty() ? 0 : random.nextInt(text.length() + 1);
    if (at > 0 && at < text.length() && Character.isLowSurrogate(text.charAt(at))) {
      at--;
    }
    ops.add("insert " + abbreviate(stray) + " at char " + at);
    return text.substring(0, at) + stray + text.substring(at);
  }

  /** Repeats a "key: value" line (and the block under it) right after that block, at the same indentation. */
  private String duplicateKey(String text, List<String> ops) {
    List<String> l = lines(text);
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      if (KEY.matcher(l.get(i)).matches()) {
        candidates.add(i);
      }
    }
    if (candidates.isEmpty()) {
      return duplicateLine(text, ops);
    }
    int i = candidates.get(random.nextInt(candidates.size()));
    String line = l.get(i);
    int indent = line.length() - line.stripLeading().length();
    boolean item = line.stripLeading().startsWith("- ");
    int keyIndent = item ? indent + 2 : indent;
    int end = i + 1;
    while (end < l.size() && (l.get(end).isBlank() || indentOf(l.get(end)) > keyIndent)) {
      end++;
    }
    List<String> block = new ArrayList<>(l.subList(i, end));
    if (item) {
      block.set(0, " ".repeat(keyIndent) + line.stripLeading().substring(2));
    }
    l.addAll(end, block);
    ops.add("duplicate the key on line " + (i + 1));
    return String.join("\n", l);
  }

  private static int indentOf(String line) {
    return line.length() - line.stripLeading().length();
  }

  private static String abbreviate(String s) {
    String shown = s.length() > 40 ? s.substring(0, 20) + "…(" + s.length() + " chars)" : s;
    return "`" + shown.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").replace("\u0000", "\\0") + "`";
  }
}
