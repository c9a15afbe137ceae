package io.roberta.e2e.fakegs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.io.fs.CreateOptions.StandardCreateOptions;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code fakegs://} file system through Beam's {@link FileSystems}, as a stage uses it: GCS's
 * object semantics, its glob rules, its resource names (checked against Beam's real {@code gs://}
 * resource ids), and the refusal of one-slash URIs.
 */
class FakeGcsFileSystemTest {
  @TempDir Path store;
  private String b;

  @BeforeEach
  void registerWithThisStore() {
    PipelineOptions options = PipelineOptionsFactory.fromArgs("--fakeGcsRoot=" + store).create();
    FileSystems.setDefaultPipelineOptions(options);
    b = "fakegs://" + bucketIn(store, "unit-bucket") + "/";
  }

  private static String bucketIn(Path store, String name) {
    try {
      Files.createDirectories(store.resolve(name));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return name;
  }

  private static List<Path> uploads(Path store) throws IOException {
    Path uploads = store.resolve(FakeGcsFileSystem.UPLOADS);
    if (!Files.isDirectory(uploads)) {
      return List.of();
    }
    try (var files = Files.list(uploads)) {
      return files.toList();
    }
  }

  private static ResourceId file(String uri) {
    return FileSystems.matchNewResource(uri, false);
  }

  private static void write(String uri, String text) throws IOException {
    try (WritableByteChannel out = FileSystems.create(file(uri), "text/plain")) {
      out.write(ByteBuffer.wrap(text.getBytes(UTF_8)));
    }
  }

  private static String read(String uri) throws IOException {
    try (ReadableByteChannel in = FileSystems.open(file(uri))) {
      return new String(Channels.newInputStream(in).readAllBytes(), UTF_8);
    }
  }

  private static MatchResult match(String spec) throws IOException {
    return FileSystems.match(List.of(spec), EmptyMatchTreatment.ALLOW).get(0);
  }

  private static List<String> names(String glob) throws IOException {
    List<String> out = new ArrayList<>();
    for (MatchResult.Metadata m : match(glob).metadata()) {
      out.add(m.resourceId().toString());
    }
    return out;
  }

  private static boolean exists(String uri) throws IOException {
    return FileSystems.match(List.of(uri)).get(0).status() == MatchResult.Status.OK;
  }

  @Test
  void anObjectAppearsOnlyWhenItsWriterCloses() throws IOException {
    String uri = b + "w/shard-0.bin";
    WritableByteChannel out = FileSystems.create(file(uri), "application/octet-stream");
    out.write(ByteBuffer.wrap("first half ".getBytes(UTF_8)));
    assertFalse(exists(uri), "visible while its writer is open");
    assertEquals(List.of(), names(b + "w/*"), "listed while its writer is open");
    assertThrows(FileNotFoundException.class, () -> FileSystems.open(file(uri)));
    out.write(ByteBuffer.wrap("second half".getBytes(UTF_8)));
    out.close();

    assertTrue(exists(uri));
    assertEquals(22, match(uri).metadata().get(0).sizeBytes());
    assertEquals("first half second half", read(uri));
    assertEquals(List.of(uri), names(b + "w/*"));
    assertEquals(List.of(), uploads(store), "the upload is gone once published");
  }

  @Test
  void aWriterThatNeverClosesLeavesNoObject() throws IOException {
    String uri = b + "w/abandoned.bin";
    WritableByteChannel out = FileSystems.create(file(uri), "application/octet-stream");
    out.write(ByteBuffer.wrap(new byte[1000]));
    // A killed worker: the channel is simply dropped.
    assertFalse(exists(uri));
    assertEquals(1, uploads(store).size(), "the bytes sit in a hidden upload");
  }

  @Test
  void createReplacesTheWholeObjectNeverAppends() throws IOException {
    String uri = b + "metrics.jsonl";
    write(uri, "line 1 of a long first version\n");
    write(uri, "v2\n");
    assertEquals("v2\n", read(uri));

    try (ReadableByteChannel reader = FileSystems.open(file(uri))) {
      write(uri, "v3\n");
      assertEquals("v2\n", new String(Channels.newInputStream(reader).readAllBytes(), UTF_8),
          "a read in progress keeps the version it opened, as a GCS read pinned to its generation");
    }
    assertEquals("v3\n", read(uri));

    // GCS's "only if absent" precondition.
    IOException e = assertThrows(FileAlreadyExistsException.class, () -> {
      try (WritableByteChannel out = FileSystems.create(file(uri),
          StandardCreateOptions.builder().setMimeType("text/plain").setExpectFileToNotExist(true).build())) {
        out.write(ByteBuffer.wrap("v4".getBytes(UTF_8)));
      }
    });
    assertTrue(e.getMessage().contains(uri), e.getMessage());
    assertEquals("v3\n", read(uri));
  }

  @Test
  void thereAreNoDirectoriesOnlyPrefixes() throws IOException {
    write(b + "dir/a.txt", "a");
    write(b + "dir/sub/b.txt", "b");
    write(b + "dir", "an object named like the folder"); // legal on GCS, and it coexists

    assertEquals(MatchResult.Status.NOT_FOUND, FileSystems.match(List.of(b + "dir/")).get(0).status(), "a prefix is no object");
    assertEquals("an object named like the folder", read(b + "dir"));
    assertThrows(FileNotFoundException.class, () -> FileSystems.open(FileSystems.matchNewResource(b + "dir/", true)));
    assertThrows(FileNotFoundException.class, () -> FileSystems.open(file(b + "nothing/here")));

    // Deleting the "directory" deletes nothing below it (GCS answers 404, Beam moves on).
    FileSystems.delete(List.of(FileSystems.matchNewResource(b + "dir/", true)));
    assertEquals(List.of(b + "dir/a.txt", b + "dir/sub/b.txt"), names(b + "dir/**"));

    // A stage that renames a temporary folder into place fails instead of silently doing nothing.
    FileNotFoundException noDirRename = assertThrows(FileNotFoundException.class, () -> FileSystems.rename(
        List.of(FileSystems.matchNewResource(b + "dir/", true)), List.of(FileSystems.matchNewResource(b + "moved/", true))));
    assertTrue(noDirRename.getMessage().contains("no directories"), noDirRename.getMessage());
    assertEquals(List.of(), names(b + "moved/**"));
  }

  @Test
  void globsFollowGcs() throws IOException {
    for (String name : List.of("d/a.bin", "d/b.bin", "d/c.txt", "d/sub/x.bin", "d/sub/deeper/y.bin", "d2/z.bin", "dx.bin")) {
      write(b + name, name);
    }
    // A folder placeholder object, as the GCS console makes them.
    FileSystems.create(FileSystems.matchNewResource(b + "d/folder-placeholder/", true), "text/plain").close();

    assertEquals(List.of(b + "d/a.bin", b + "d/b.bin", b + "d/c.txt"), names(b + "d/*"), "* stops at /");
    assertEquals(List.of(b + "d/a.bin", b + "d/b.bin"), names(b + "d/*.bin"));
    assertEquals(List.of(b + "d/a.bin", b + "d/b.bin", b + "d/c.txt", b + "d/sub/deeper/y.bin", b + "d/sub/x.bin"),
        names(b + "d/**"), "** crosses /, and names ending in / are skipped");
    assertEquals(List.of(b + "d/a.bin", b + "d/b.bin", b + "d/sub/deeper/y.bin", b + "d/sub/x.bin"), names(b + "d/**/*.bin"));
    assertEquals(List.of(b + "d/a.bin", b + "d/c.txt"), names(b + "d/[ac].*"));
    assertEquals(List.of(b + "d/a.bin", b + "d/b.bin"), names(b + "d/?.bin"));
    assertEquals(List.of(b + "dx.bin"), names(b + "d?*"), "? and * stop at /: d2/z.bin and d/... do not match");
    assertEquals(List.of(b + "d/sub/x.bin"), names(b + "d/*/x.bin"));
    assertEquals(List.of(), names(b + "nothing-here/*"));

    MatchResult.Metadata m = match(b + "d/a.bin").metadata().get(0);
    assertEquals(7, m.sizeBytes());
    assertTrue(m.isReadSeekEfficient());
    assertTrue(m.lastModifiedMillis() > 0);
  }

  @Test
  void renameIsCopyThenDeletePerObject() throws IOException {
    write(b + "tmp/part-0", "zero");
    write(b + "tmp/part-1", "one");
    write(b + "final/part-1", "an older one");
    FileSystems.rename(List.of(file(b + "tmp/part-0"), file(b + "tmp/part-1")),
        List.of(file(b + "final/part-0"), file(b + "final/part-1")));
    assertEquals("zero", read(b + "final/part-0"));
    assertEquals("one", read(b + "final/part-1"), "the destination is replaced");
    assertEquals(List.of(), names(b + "tmp/*"), "the sources are deleted");

    // A missing source fails, unless the caller ignores missing files.
    FileNotFoundException missing = assertThrows(FileNotFoundException.class,
        () -> FileSystems.rename(List.of(file(b + "tmp/part-0")), List.of(file(b + "final/again"))));
    assertTrue(missing.getMessage().contains(b + "tmp/part-0"), missing.getMessage());
    FileSystems.rename(List.of(file(b + "tmp/part-0")), List.of(file(b + "final/again")), StandardMoveOptions.IGNORE_MISSING_FILES);
    assertFalse(exists(b + "final/again"));

    // Across buckets too (a rewrite).
    String other = "fakegs://" + bucketIn(store, "other-bucket") + "/";
    FileSystems.copy(List.of(file(b + "final/part-0")), List.of(file(other + "copied")));
    assertEquals("zero", read(other + "copied"));
    assertEquals("zero", read(b + "final/part-0"), "copy keeps the source");
  }

  @Test
  void deletingAMissingObjectIsIgnoredAsOnGcs() throws IOException {
    write(b + "x", "x");
    FileSystems.delete(List.of(file(b + "x"), file(b + "never-was")));
    assertFalse(exists(b + "x"));
    FileSystems.delete(List.of(file(b + "never-was")), StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  @Test
  void aBucketMustExist() {
    FileNotFoundException e = assertThrows(FileNotFoundException.class,
        () -> FileSystems.create(file("fakegs://no-such-bucket/x"), "text/plain"));
    assertTrue(e.getMessage().contains("no-such-bucket"), e.getMessage());
    IllegalArgumentException badName = assertThrows(IllegalArgumentException.class, () -> file("fakegs://Upper_Case/x"));
    assertTrue(badName.getMessage().contains("Upper_Case"), badName.getMessage());
  }

  @Test
  void oneSlashUrisAreRefusedLoudly() {
    String mangled = Path.of("fakegs://" + "unit-bucket/work").resolve("corpus").toString(); // what java.nio makes of it
    assertEquals("fakegs:/unit-bucket/work/corpus", mangled);
    List<org.junit.jupiter.api.function.Executable> attempts = List.of(
        () -> FileSystems.matchNewResource(mangled, false),
        () -> FileSystems.matchNewResource(mangled, true),
        () -> FileSystems.match(List.of(mangled)),
        () -> FileSystems.match(List.of(mangled + "/*"), EmptyMatchTreatment.ALLOW),
        () -> FakeGcsResourceId.parse(mangled),
        () -> FileSystems.matchNewResource(b, true).resolve(mangled, StandardResolveOptions.RESOLVE_FILE));
    for (org.junit.jupiter.api.function.Executable attempt : attempts) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, attempt);
      assertTrue(e.getMessage().contains("\"" + mangled), e.getMessage());
      assertTrue(e.getMessage().contains("one slash"), e.getMessage());
      assertTrue(e.getMessage().contains("fakegs://unit-bucket/work/corpus"), "names the well-formed URI: " + e.getMessage());
    }
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> FakeGcsResourceId.parse("fakegs:unit-bucket/x"));
    assertTrue(none.getMessage().contains("no slash") && none.getMessage().contains("fakegs://unit-bucket/x"), none.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FakeGcs.fileSystem().matchNewResource("fakegs:x", false));
    // Beam's FileSystems hands a spec without ":/" to the local file system before any registrar
    // sees it; FakeGcs.strayLocalFiles is what catches such a file once written.
    assertEquals("file", FileSystems.matchNewResource("fakegs:x", false).getScheme());
  }

  @Test
  void resourceIdsBehaveLikeBeamsGcsResourceIds() {
    // Beam's real GcsFileSystem is on this class path (Dataflow runner); its names need no network.
    List<String> specs = List.of("b-1/", "b-1/a", "b-1/a/", "b-1/a/b.txt", "b-1/a/b/", "b-1/.tmp-x", "b-1/a//c", "b-1/x y/z");
    for (String spec : specs) {
      for (boolean dir : new boolean[] {false, true}) {
        if (!dir && (spec.endsWith("/"))) {
          assertThrows(IllegalArgumentException.class, () -> FileSystems.matchNewResource("gs://" + spec, false));
          assertThrows(IllegalArgumentException.class, () -> FileSystems.matchNewResource("fakegs://" + spec, false));
          continue;
        }
        ResourceId gs = FileSystems.matchNewResource("gs://" + spec, dir);
        ResourceId fake = FileSystems.matchNewResource("fakegs://" + spec, dir);
        String what = spec + (dir ? " (directory)" : "");
        assertEquals(gs.toString().substring(2), fake.toString().substring(6), what);
        assertEquals(gs.isDirectory(), fake.isDirectory(), what);
        assertEquals(gs.getFilename(), fake.getFilename(), what);
        assertEquals(gs.getCurrentDirectory().toString().substring(2), fake.getCurrentDirectory().toString().substring(6), what);
        if (gs.isDirectory()) {
          for (String other : List.of("f.bin", "sub", "sub/", "a/b", ".tmp-1")) {
            if (!other.endsWith("/")) {
              assertEquals(gs.resolve(other, StandardResolveOptions.RESOLVE_FILE).toString().substring(2),
                  fake.resolve(other, StandardResolveOptions.RESOLVE_FILE).toString().substring(6), what + " + " + other);
            }
            assertEquals(gs.resolve(other, StandardResolveOptions.RESOLVE_DIRECTORY).toString().substring(2),
                fake.resolve(other, StandardResolveOptions.RESOLVE_DIRECTORY).toString().substring(6), what + " + " + other + " dir");
          }
        } else {
          assertThrows(IllegalStateException.class, () -> gs.resolve("x", StandardResolveOptions.RESOLVE_FILE));
          assertThrows(IllegalStateException.class, () -> fake.resolve("x", StandardResolveOptions.RESOLVE_FILE));
        }
      }
    }
    assertNull(FileSystems.matchNewResource("fakegs://b-1/", true).getFilename());
    assertEquals(FileSystems.matchNewResource("fakegs://b-1/a/b", false),
        FileSystems.matchNewResource("fakegs://b-1/a/", true).resolve("b", StandardResolveOptions.RESOLVE_FILE));
  }

  @Test
  void theStoreComesFromTheOptionElseTheSystemProperty(@TempDir Path other) throws IOException {
    String before = System.getProperty(FakeGcsOptions.SYSTEM_PROPERTY);
    try {
      System.setProperty(FakeGcsOptions.SYSTEM_PROPERTY, other.toString());
      bucketIn(other, "unit-bucket");
      // The option wins over the property ...
      write(b + "from-option", "o");
      assertTrue(Files.exists(store.resolve("unit-bucket/from-option/%object")));
      // ... and options without it (a JVM that got none) use the property.
      FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
      write(b + "from-property", "p");
      assertTrue(Files.exists(other.resolve("unit-bucket/from-property/%object")));
      assertFalse(Files.exists(store.resolve("unit-bucket/from-property")));

      System.clearProperty(FakeGcsOptions.SYSTEM_PROPERTY);
      FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> write(b + "nowhere", "n"));
      assertTrue(e.getMessage().contains("--fakeGcsRoot") && e.getMessage().contains("-Dfakegs.root"), e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(FakeGcsOptions.SYSTEM_PROPERTY);
      } else {
        System.setProperty(FakeGcsOptions.SYSTEM_PROPERTY, before);
      }
    }
  }

  /**
   * Beam's own sharded writes (temporary files, then rename with IGNORE_MISSING_FILES and
   * SKIP_IF_DESTINATION_EXISTS, then the temporary "directory" cleaned) and reads work on the
   * store, and leave no temporary object.
   */
  @Test
  void beamsFileIoWritesAndReadsTheStore() throws IOException {
    String out = b + "predictions/";
    PipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--fakeGcsRoot=" + store).create();
    options.as(org.apache.beam.runners.direct.DirectOptions.class).setTargetParallelism(2);
    Pipeline write = Pipeline.create(options);
    write.apply(Create.of(List.of("a", "b", "c", "d", "e")))
        .apply(FileIO.<String>write().via(TextIO.sink()).to(out).withPrefix("part").withSuffix(".txt").withNumShards(2));
    assertEquals(PipelineResult.State.DONE, write.run().waitUntilFinish());

    List<String> written = names(b + "predictions/**");
    assertEquals(2, written.size(), written.toString());
    assertTrue(written.stream().allMatch(n -> n.matches(java.util.regex.Pattern.quote(out) + "part-0000[01]-of-00002\\.txt")), written.toString());
    assertEquals(List.of(), uploads(store));

    Pipeline read = Pipeline.create(options);
    PAssert.that(read.apply(TextIO.read().from(out + "part-*"))).containsInAnyOrder("a", "b", "c", "d", "e");
    assertEquals(PipelineResult.State.DONE, read.run().waitUntilFinish());
  }

  @Test
  void helpersCopyInAndReadBack(@TempDir Path local) throws IOException {
    Files.createDirectories(local.resolve("sub"));
    Files.writeString(local.resolve("one.txt"), "1");
    Files.writeString(local.resolve("sub/two.txt"), "22");
    String prefix = FakeGcs.freshPrefix("helpers");
    assertEquals(2, FakeGcs.copyIn(local, prefix + "data"));
    Map<String, byte[]> objects = FakeGcs.objects(prefix + "data/");
    assertEquals(List.of("one.txt", "sub/two.txt"), List.copyOf(objects.keySet()));
    assertArrayEquals("22".getBytes(UTF_8), objects.get("sub/two.txt"));
    assertEquals(FakeGcs.localFiles(local).keySet(), objects.keySet());
  }
}
