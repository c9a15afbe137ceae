package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Finetune;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.runners.cli.CommandLineTest.Result;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mistakes a new user makes, each answered in our own words: misspelt recipe names and
 * options get a suggestion and never an internal class name, numbers that mean nothing are
 * refused, and {@code validate} refuses what {@code run} refuses before its first stage, with the
 * same message.
 */
class HelpfulMistakesTest {

  private static Result run(String... args) {
    return CommandLineTest.run(args);
  }

  @Test
  void misspeltRecipeNameGetsTheNearestRegisteredRecipe() {
    Result ok = run("describe", "SampleRecipe");
    assertEquals(0, ok.status(), ok.err());
    Result r = run("describe", "SampleRecipie");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("no recipe named 'SampleRecipie'; did you mean 'SampleRecipe'?"), r.err());
    assertTrue(r.err().contains("--recipe-classpath"), r.err());
    Result far = run("describe", "Zzzzzzzz");
    assertFalse(far.err().contains("did you mean"), far.err());
  }

  @Test
  void misspeltOptionGetsASuggestionNotAClassName(@TempDir Path dir) {
    Result r = run("run", "SampleRecipe", "--wrok-dir=" + dir);
    assertEquals(2, r.status());
    assertTrue(r.err().contains("unknown option '--wrok-dir'; did you mean '--work-dir'"), r.err());
    assertFalse(r.err().contains("io.roberta"), r.err());
    assertFalse(r.err().contains("Class interface"), r.err());

    Result beam = run("validate", "SampleRecipe", "--runer=FlinkRunner");
    assertEquals(2, beam.status());
    assertTrue(beam.err().contains("unknown option '--runer'; did you mean '--runner'?"), beam.err());
  }

  @Test
  void beamOptionsStillPassThrough(@TempDir Path dir) {
    Result r = run("validate", "--offline", "SampleRecipe", "--runner=FlinkRunner", "--parallelism=2");
    assertEquals(0, r.status(), r.err());
  }

  @Test
  void negativeAndMeaninglessNumbersAreRefused(@TempDir Path dir) {
    Result steps = run("run", "SampleRecipe", "--work-dir=" + dir, "--stop-after-steps=-5");
    assertEquals(2, steps.status());
    assertTrue(steps.err().contains("--stop-after-steps -5 must be at least 1"), steps.err());
    assertFalse(Files.exists(dir.resolve("sample")), "nothing ran");

    Result zero = run("run", "SampleRecipe", "--work-dir=" + dir, "--stop-after-steps", "0");
    assertTrue(zero.err().contains("--stop-after-steps 0 must be at least 1"), zero.err());

    Result blocks = run("pretrain", "SampleRecipe", "--holdout-blocks=-1");
    assertTrue(blocks.err().contains("--holdout-blocks -1 is negative; it must be 0 or more"), blocks.err());

    String[] finetune = {"finetune", "--task", "sst2", "--data", dir.toString(), "--from", dir.toString(), "--out", dir.toString()};
    Result lr = run(concat(finetune, "--lr", "0"));
    assertEquals(2, lr.status());
    assertTrue(lr.err().contains("--lr 0.0 must be greater than 0"), lr.err());
    Result warmup = run(concat(finetune, "--warmup-ratio", "1.5"));
    assertTrue(warmup.err().contains("--warmup-ratio 1.5 must be a fraction"), warmup.err());
    Result examples = run(concat(finetune, "--train-examples", "-3"));
    assertTrue(examples.err().contains("--train-examples -3 is negative"), examples.err());
    Result nan = run(concat(finetune, "--lr", "NaN"));
    assertTrue(nan.err().contains("--lr NaN is not a number"), nan.err());

    Result shards = run("eval", "--task", "sst2", "--model", dir.toString(), "--out", dir.toString(), "--shards", "0");
    assertTrue(shards.err().contains("--shards 0 must be at least 1"), shards.err());
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** A recipe that fine-tunes {@code task} on {@code data}, its corpus a real file. */
  private static Path recipe(Path dir, String task, Path data) throws Exception {
    Path text = dir.resolve("text.txt");
    Files.writeString(text, "Call me Ishmael. Some years ago, never mind how long precisely.\n");
    Recipe r = RecipeBuilder.named("mistakes")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(1_000))
        .corpus(Corpus.of(Sources.textFiles(text.toString())).pack(Packing.fullSentences(128)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(8).warmupSteps(1).totalSteps(4))
        .finetune(Finetune.classification(task, 2).maxSequenceLength(128).data(data.toString()))
        .build();
    Path file = dir.resolve("recipe-" + task + ".json");
    RecipeJson.write(r, file);
    return file;
  }

  /** validate and run refuse the recipe with the same message; --offline does not read inputs. */
  private static String refusedAlike(Path dir, Path recipe) {
    Path work = dir.resolve("work");
    Result validate = run("validate", recipe.toString(), "--work-dir=" + work);
    Result runIt = run("run", recipe.toString(), "--work-dir=" + work);
    assertEquals(1, validate.status(), validate.err());
    assertEquals(1, runIt.status(), runIt.err());
    assertEquals(runIt.err(), validate.err());
    assertFalse(Files.exists(work.resolve("mistakes")), "no stage started");
    Result offline = run("validate", "--offline", recipe.toString());
    assertEquals(0, offline.status(), offline.err());
    return validate.err();
  }

  @Test
  void unknownTaskIsRefusedByValidateAsByRun(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("sst2"));
    String err = refusedAlike(dir, recipe(dir, "sst", data));
    assertTrue(err.contains("finetune[sst].task = sst is not a task this build reads; did you mean 'sst2'"), err);
    assertTrue(err.contains("roberta tasks"), err);
    for (String name : TaskSource.names()) {
      assertTrue(err.contains(name), name + " listed: " + err);
    }
  }

  @Test
  void missingTaskFolderIsRefusedByValidateAsByRun(@TempDir Path dir) throws Exception {
    String err = refusedAlike(dir, recipe(dir, "sst2", dir.resolve("no-such-folder")));
    assertTrue(err.contains("finetune[sst2].data = " + dir.resolve("no-such-folder") + " does not exist"), err);
  }

  @Test
  void folderWithoutTheScoredFileIsRefusedAndPointsToTheCatalogue(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("sst2"));
    Files.writeString(data.resolve("train.tsv"), "sentence\tlabel\ngood\t1\n");
    String err = refusedAlike(dir, recipe(dir, "sst2", data));
    assertTrue(err.contains("has no dev.tsv: sst2 reads train.tsv and dev.tsv from its folder"), err);
    assertTrue(err.contains("`roberta tasks` lists every task's folder layout"), err);

    Files.writeString(data.resolve("dev.tsv"), "sentence\tlabel\nbad\t0\n");
    Path work = dir.resolve("work2");
    Result valid = run("validate", dir.resolve("recipe-sst2.json").toString(), "--work-dir=" + work);
    assertEquals(0, valid.status(), valid.err());
    assertTrue(valid.out().contains("inputs and options checked as run would"), valid.out());
    assertFalse(Files.exists(work), "validate leaves no work folder behind");
  }

  @Test
  void missingCorpusFilesAreRefusedByValidateAsByRun(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("sst2"));
    Files.writeString(data.resolve("train.tsv"), "sentence\tlabel\ngood\t1\n");
    Files.writeString(data.resolve("dev.tsv"), "sentence\tlabel\nbad\t0\n");
    Path recipe = recipe(dir, "sst2", data);
    Files.delete(dir.resolve("text.txt"));
    String err = refusedAlike(dir, recipe);
    assertTrue(err.contains("matches no files"), err);
  }

  @Test
  void badOptionsAreRefusedByValidateAsByRun(@TempDir Path dir) throws Exception {
    Result validate = run("validate", "--offline", "SampleRecipe");
    assertEquals(0, validate.status(), validate.err());
    Result v = run("validate", "SampleRecipe", "--runner=SparkRunner");
    Result r = run("run", "SampleRecipe", "--runner=SparkRunner");
    assertEquals(1, v.status(), v.err());
    assertEquals(r.err(), v.err());
    assertTrue(v.err().contains("--runner=SparkRunner is not a runner this project runs on"), v.err());
  }
}
