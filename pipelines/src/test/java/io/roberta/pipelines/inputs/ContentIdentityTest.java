package io.roberta.pipelines.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Eval;
import io.roberta.dsl.Finetune;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.plan.InputIdentity;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs are fingerprinted by content: a path that reaches the same bytes (relative or absolute,
 * another folder) keeps every stage fingerprint; a byte changed in place changes the fingerprints
 * of the stages that read it and of what depends on them, and nothing else.
 */
class ContentIdentityTest {
  private static final Path TOKENIZER = Path.of("../engine/src/test/resources/tokenizer/hf-bpe/tokenizer.json").toAbsolutePath();

  /** Two text files (and a README the glob must not match), and an SST-2 folder. */
  private static Path data(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("text"));
    Files.writeString(dir.resolve("text/a.txt"), "Call me Ishmael. Some years ago, never mind how long precisely.\n");
    Files.writeString(dir.resolve("text/b.txt"), "It is a way I have of driving off the spleen.\n");
    Files.writeString(dir.resolve("text/README"), "not text of the corpus\n");
    Files.createDirectories(dir.resolve("sst2"));
    Files.writeString(dir.resolve("sst2/train.tsv"), "sentence\tlabel\ngood\t1\nbad\t0\n");
    Files.writeString(dir.resolve("sst2/dev.tsv"), "sentence\tlabel\nfine\t1\n");
    return dir;
  }

  private static Recipe recipe(String data) {
    return RecipeBuilder.named("content")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.pretrained(TOKENIZER.toString()))
        .corpus(Corpus.of(Sources.textFiles(data + "/text/*.txt").name("text")).pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(8).warmupSteps(1).totalSteps(4))
        .finetune(Finetune.classification("sst2", 2).maxSequenceLength(64).data(data + "/sst2").withRandomInitBaseline())
        .evaluate(Eval.maskedLm(), Eval.task("sst2"))
        .build();
  }

  private static Map<String, String> fingerprints(Recipe recipe) {
    Map<String, String> f = new LinkedHashMap<>();
    for (Stage s : Plan.compile(recipe).stages()) {
      f.put(s.directory(), s.fingerprint());
    }
    return f;
  }

  private static Set<String> changed(Map<String, String> before, Map<String, String> after) {
    Set<String> changed = new TreeSet<>();
    before.forEach((stage, fp) -> {
      if (!fp.equals(after.get(stage))) {
        changed.add(stage);
      }
    });
    return changed;
  }

  @Test
  void thePipelinesModuleRegistersContentIdentity() {
    assertInstanceOf(ContentIdentity.class, InputIdentity.current());
  }

  @Test
  void samebytesThroughAnotherPathKeepEveryFingerprint(@TempDir Path dir) throws Exception {
    Path a = data(dir.resolve("a"));
    Map<String, String> absolute = fingerprints(recipe(a.toString()));
    Map<String, String> relative = fingerprints(recipe(Path.of("").toAbsolutePath().relativize(a).toString()));
    assertTrue(!relative.isEmpty());
    assertEquals(absolute, relative);
    assertEquals(absolute, fingerprints(recipe(a + "/../a")));

    // A copy in another folder, with other modification times: the same content, the same fingerprints.
    Path b = data(dir.resolve("elsewhere/b"));
    Files.setLastModifiedTime(b.resolve("text/a.txt"), FileTime.fromMillis(System.currentTimeMillis() - 86_400_000L));
    assertEquals(absolute, fingerprints(recipe(b.toString())));
    assertTrue(ContentIdentity.cachedFiles() > 0);
  }

  @Test
  void aByteChangedInACorpusFileChangesTheCorpusAndWhatDependsOnIt(@TempDir Path dir) throws Exception {
    Path a = data(dir);
    Map<String, String> before = fingerprints(recipe(a.toString()));
    Files.writeString(a.resolve("text/b.txt"), "It is a way I have of driving off the spleen!\n"); // same size
    Map<String, String> after = fingerprints(recipe(a.toString()));
    assertEquals(Set.of("corpus", "pretrain", "finetune-sst2", "eval"), changed(before, after));

    // A file the glob does not match is not an input.
    Files.writeString(a.resolve("text/README"), "edited");
    assertEquals(after, fingerprints(recipe(a.toString())));
  }

  @Test
  void aByteChangedInTaskDataChangesOnlyTheFinetuningAndEvaluation(@TempDir Path dir) throws Exception {
    Path a = data(dir);
    Map<String, String> before = fingerprints(recipe(a.toString()));
    Files.writeString(a.resolve("sst2/dev.tsv"), "sentence\tlabel\nfine\t0\n");
    Map<String, String> after = fingerprints(recipe(a.toString()));
    assertEquals(Set.of("finetune-sst2", "finetune-sst2-random-init", "eval"), changed(before, after));
  }

  @Test
  void aFileRewrittenWithinTheClockResolutionIsReadAgain(@TempDir Path dir) throws Exception {
    // What a coarse file-system clock does: the same size and the same modification time, other bytes.
    Path a = data(dir);
    Path dev = a.resolve("sst2/dev.tsv");
    FileTime fresh = FileTime.fromMillis(System.currentTimeMillis());
    Files.setLastModifiedTime(dev, fresh);
    Map<String, String> before = fingerprints(recipe(a.toString()));
    Files.writeString(dev, "sentence\tlabel\nfine\t0\n");
    Files.setLastModifiedTime(dev, fresh);
    assertEquals(Set.of("finetune-sst2", "finetune-sst2-random-init", "eval"), changed(before, fingerprints(recipe(a.toString()))));
  }

  @Test
  void aSettledFileIsHashedOnce(@TempDir Path dir) throws Exception {
    Path a = data(dir);
    FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 86_400_000L);
    Files.setLastModifiedTime(a.resolve("text/a.txt"), old);
    ContentIdentity ids = new ContentIdentity();
    int cached = ContentIdentity.cachedFiles();
    String first = ids.of(a + "/text/a.txt");
    assertEquals(cached + 1, ContentIdentity.cachedFiles());
    assertEquals(first, ids.of(a + "/text/a.txt"));
    assertEquals(cached + 1, ContentIdentity.cachedFiles());
    ids.of(a + "/text/b.txt"); // written just now: not cached
    assertEquals(cached + 1, ContentIdentity.cachedFiles());
  }

  @Test
  void identityCoversNamesSizesAndContents(@TempDir Path dir) throws Exception {
    Path a = data(dir.resolve("a"));
    ContentIdentity ids = new ContentIdentity();
    String glob = ids.of(a + "/text/*.txt");
    assertTrue(glob.matches("content:[0-9a-f]{64}"), glob);
    assertEquals(glob, ids.of(a + "/text/[ab].txt"));
    assertNotEquals(glob, ids.of(a + "/text/a.txt"));
    assertEquals(ids.of(a + "/sst2"), ids.of(a + "/sst2/"));
    Files.move(a.resolve("sst2/dev.tsv"), a.resolve("sst2/dev2.tsv"));
    assertNotEquals(ids.of(data(dir.resolve("b")) + "/sst2"), ids.of(a + "/sst2"), "a renamed file is another input");
    assertEquals(dir + "/missing/*.txt", ids.of(dir + "/missing/*.txt"), "nothing matched: the path itself");
  }
}
