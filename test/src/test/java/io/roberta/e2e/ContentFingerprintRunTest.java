package io.roberta.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Finetune;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.pipelines.run.RunReport;
import io.roberta.runners.run.RecipeRun;
import io.roberta.spec.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stages are fingerprinted by their inputs' content, end to end: a run through relative paths on
 * the DirectRunner, then the same data copied to another folder and named by absolute paths on
 * embedded Flink skips every stage; a byte changed in a task file re-runs only the stages that
 * read it. (Which stages a changed corpus file re-runs is checked on the plan in {@code
 * ContentIdentityTest}.)
 */
class ContentFingerprintRunTest {

  private static Path data(Path dir) throws Exception {
    Path shared = Path.of("..", "..", "shared", "data", "moby-dick").toAbsolutePath().normalize();
    Files.createDirectories(dir.resolve("text"));
    for (int i = 1; i <= 3; i++) {
      String name = "chapter_" + i + ".txt";
      Files.copy(shared.resolve(name), dir.resolve("text").resolve(name));
    }
    Files.createDirectories(dir.resolve("sst2"));
    StringBuilder train = new StringBuilder("sentence\tlabel\n");
    for (int i = 0; i < 16; i++) {
      train.append(i % 2 == 0 ? "a fine whale of a day " + i : "a grim and wet november " + i).append('\t').append(i % 2).append('\n');
    }
    Files.writeString(dir.resolve("sst2/train.tsv"), train);
    Files.writeString(dir.resolve("sst2/dev.tsv"), "sentence\tlabel\na fine whale\t0\na grim sea\t1\n");
    return dir;
  }

  private static Recipe recipe(String data) {
    return RecipeBuilder.named("content-run")
        .model(Roberta.tiny().hiddenSize(32).layers(2).heads(2).intermediateSize(64).maxPositions(66))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(400).minFrequency(2))
        .corpus(Corpus.of(Sources.textFiles(data + "/text/chapter_*.txt").name("moby").perParagraph())
            .minChars(20).holdout(0.1).pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(8).peakLearningRate(1e-3).warmupSteps(1).totalSteps(3).seed(3))
        .finetune(Finetune.classification("sst2", 2).data(data + "/sst2").maxSequenceLength(64).epochs(1).batchSize(8)
            .learningRate(1e-3).withRandomInitBaseline())
        .build();
  }

  private static Set<String> ran(RecipeRun.Outcome o) {
    Set<String> ran = new TreeSet<>();
    o.stages().stream().filter(s -> !s.skipped()).forEach(s -> ran.add(s.name()));
    return ran;
  }

  @Test
  void anotherPathAndRunnerSkipEveryStageAndAnEditedFileRerunsItsReaders(@TempDir Path first, @TempDir Path second,
      @TempDir Path work) throws Exception {
    List<String> log = new ArrayList<>();
    String relative = Path.of("").toAbsolutePath().relativize(data(first)).toString();
    RecipeRun.Outcome direct = RecipeRun.run(recipe(relative), RunRecipeTest.options(work), log::add);
    assertTrue(direct.stages().stream().noneMatch(RunReport.StageRun::skipped), direct.stages().toString());
    assertEquals(5, direct.stages().size(), direct.stages().toString());

    Path moved = data(second.resolve("moved"));
    RecipeRun.Outcome flink = RecipeRun.run(recipe(moved.toString()),
        RunRecipeTest.options(work, "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"), log::add);
    assertEquals(Set.of(), ran(flink), String.join("\n", log));
    assertEquals(direct.stages().stream().map(RunReport.StageRun::directory).toList(),
        flink.stages().stream().map(RunReport.StageRun::directory).toList());

    // One byte of the scored task file, in place: the two fine-tunings take the task folder; the rest is reused.
    Path dev = moved.resolve("sst2/dev.tsv");
    Files.writeString(dev, Files.readString(dev).replace("whale\t0", "whale\t1"));
    RecipeRun.Outcome edited = RecipeRun.run(recipe(moved.toString()), RunRecipeTest.options(work), log::add);
    assertEquals(Set.of("finetune-sst2", "finetune-sst2-random-init"), ran(edited), edited.stages().toString());
  }
}
