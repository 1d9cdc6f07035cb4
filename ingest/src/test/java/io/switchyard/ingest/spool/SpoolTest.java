package io.switchyard.ingest.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
  @TempDir Path dir;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<String> strings(List<Spool.Entry> entries) {
    return entries.stream().map(e -> new String(e.data(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void entriesComeBackInAppendOrderAcrossSegments() throws IOException {
    try (Spool s = Spool.open(dir, 1 << 20, 1024)) {
      for (int i = 0; i < 100; i++) {
        assertThat(s.append(b("entry-" + i + "-" + "x".repeat(50)))).isTrue();
      }
      assertThat(segmentFiles()).hasSizeGreaterThan(3);
      List<Spool.Entry> all = s.peek(1000);
      assertThat(all).hasSize(100);
      for (int i = 0; i < 100; i++) {
        assertThat(strings(all).get(i)).startsWith("entry-" + i + "-");
      }
    }
  }

  @Test
  void peekDoesNotConsumeAndCommitDoes() throws IOException {
    try (Spool s = Spool.open(dir, 1 << 20, 1024)) {
      s.append(b("a"));
      s.append(b("b"));
      s.append(b("c"));
      List<Spool.Entry> two = s.peek(2);
      assertThat(strings(two)).containsExactly("a", "b");
      assertThat(strings(s.peek(10))).containsExactly("a", "b", "c");
      s.commit(two.get(1).next());
      assertThat(strings(s.peek(10))).containsExactly("c");
    }
  }

  @Test
  void cursorAndEntriesSurviveReopen() throws IOException {
    try (Spool s = Spool.open(dir, 1 << 20, 1024)) {
      for (int i = 0; i < 50; i++) {
        s.append(b("e" + i + "-" + "y".repeat(40)));
      }
      List<Spool.Entry> first = s.peek(20);
      s.commit(first.get(19).next());
    }
    try (Spool s = Spool.open(dir, 1 << 20, 1024)) {
      List<String> rest = strings(s.peek(1000));
      assertThat(rest).hasSize(30);
      assertThat(rest.get(0)).startsWith("e20-");
      assertThat(rest.get(29)).startsWith("e49-");
    }
  }

  @Test
  void drainedSpoolDeletesConsumedSegmentsAndIsEmpty() throws IOException {
    try (Spool s = Spool.open(dir, 1 << 20, 1024)) {
      for (int i = 0; i < 60; i++) {
        s.append(b("z".repeat(60)));
      }
      List<Spool.Entry> all = s.peek(1000);
      s.commit(all.get(all.size() - 1).next());
      assertThat(s.isEmpty()).isTrue();
      assertThat(s.bytes()).isZero();
      assertThat(segmentFiles()).hasSize(1);
      s.append(b("after"));
      assertThat(strings(s.peek(10))).containsExactly("after");
    }
  }

  @Test
  void fullSpoolRefusesAndCountsInsteadOfBlocking() throws IOException {
    try (Spool s = Spool.open(dir, 2048, 1024)) {
      int accepted = 0;
      for (int i = 0; i < 100; i++) {
        if (s.append(b("w".repeat(92)))) {
          accepted++;
        }
      }
      assertThat(accepted).isEqualTo(20);
      assertThat(s.dropped()).isEqualTo(80);
      assertThat(s.bytes()).isLessThanOrEqualTo(2048);
      List<Spool.Entry> all = s.peek(100);
      s.commit(all.get(all.size() - 1).next());
      assertThat(s.append(b("room again"))).isTrue();
    }
  }

  @Test
  void tornTailFromACrashIsCutOffOnOpen() throws IOException {
    try (Spool s = Spool.open(dir, 1 << 20, 1 << 16)) {
      s.append(b("whole-1"));
      s.append(b("whole-2"));
    }
    Path seg = segmentFiles().get(0);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.seek(f.length());
      f.writeInt(100);
      f.writeInt(12345);
      f.write(b("partial"));
    }
    try (Spool s = Spool.open(dir, 1 << 20, 1 << 16)) {
      assertThat(strings(s.peek(10))).containsExactly("whole-1", "whole-2");
      s.append(b("whole-3"));
      assertThat(strings(s.peek(10))).containsExactly("whole-1", "whole-2", "whole-3");
    }
  }

  @Test
  void corruptedEntryFailsItsChecksumAndIsSkipped() throws IOException {
    try (Spool s = Spool.open(dir, 1 << 20, 1 << 16)) {
      s.append(b("good-1"));
      s.append(b("flipped"));
      s.append(b("good-2"));
      s.sync();
      Path seg = segmentFiles().get(0);
      try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
        long pos = 8 + "good-1".length() + 8;
        f.seek(pos);
        f.write('F');
      }
      assertThat(strings(s.peek(10))).containsExactly("good-1", "good-2");
    }
  }

  private List<Path> segmentFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }
}
