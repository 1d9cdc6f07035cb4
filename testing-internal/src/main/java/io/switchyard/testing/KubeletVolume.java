package io.switchyard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A ConfigMap or Secret volume as the kubelet lays it out and updates it (its {@code AtomicWriter}): the files
 * live in a hidden {@code ..<timestamp>} folder, {@code ..data} links to that folder, and each top-level name is a
 * link {@code name -> ..data/name}. An update writes a new timestamped folder, points a {@code ..data_tmp} link at
 * it, renames that over {@code ..data} (the one atomic step), adds or removes top-level links, and deletes the old
 * folder. The top-level links themselves never change, so neither does what lstat sees of them.
 */
public final class KubeletVolume {
  private final Path dir;
  private int generation;

  private KubeletVolume(Path dir) {
    this.dir = dir;
  }

  /** Mounts {@code files} (relative path to content; a path with folders is a ConfigMap {@code items[].path}). */
  public static KubeletVolume mount(Path dir, Map<String, String> files) throws IOException {
    KubeletVolume v = new KubeletVolume(Files.createDirectories(dir));
    v.update(files);
    return v;
  }

  public Path dir() {
    return dir;
  }

  /** The path a container is given for one key: the top-level link. */
  public Path file(String name) {
    return dir.resolve(name);
  }

  /** Replaces the volume's content with {@code files}, as the kubelet does after the ConfigMap or Secret changed. */
  public void update(Map<String, String> files) throws IOException {
    Path old = Files.isSymbolicLink(dir.resolve("..data")) ? dir.resolve(Files.readSymbolicLink(dir.resolve("..data"))) : null;
    Path fresh = Files.createDirectory(dir.resolve("..2026_11_29_06_00_%02d.%09d".formatted(generation, 100000000 + generation)));
    generation++;
    Set<String> top = new HashSet<>();
    for (Map.Entry<String, String> e : files.entrySet()) {
      Path target = fresh.resolve(e.getKey());
      Files.createDirectories(target.getParent());
      Files.writeString(target, e.getValue());
      top.add(Path.of(e.getKey()).getName(0).toString());
    }
    Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), fresh.getFileName());
    Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    for (String name : top) {
      if (!Files.exists(dir.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
      }
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (!name.startsWith("..") && !top.contains(name)) {
          Files.delete(p);
        }
      }
    }
    if (old != null) {
      deleteTree(old);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw new UncheckedIOException(e);
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
