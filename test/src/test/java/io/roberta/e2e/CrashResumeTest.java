package io.roberta.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill tests: {@code roberta pretrain} in its own process, halted (as by {@code kill -9}) at the
 * worst moments: inside the tokenizer stage (its files written, its manifest not), inside a
 * checkpoint (its files published, its commit marker not) and inside the pretraining stage's
 * manifest commit. The next run continues from the last committed state and ends with the same
 * model bytes as a run nobody disturbed.
 */
class CrashResumeTest {
  private static final Path JAR = Path.of("..", "examples", "target", "roberta.jar");
  @TempDir static Path dir;
  static Path recipeFile;
  static String reference;
  static Path roundsFile;
  static String roundsReference;

  record Run(int status, String out) {}

  @BeforeAll
  static void recipeAndUndisturbedRun() throws Exception {
    Path shared = Path.of("..", "..", "shared", "data", "brown").toAbsolutePath().normalize();
    Path brown = Files.createDirectories(dir.resolve("brown"));
    for (String name : List.of("ca01", "ca02", "ca03", "cb01", "cb02", "ck01", "ck02", "ck03")) {
      Files.copy(shared.resolve(name), brown.resolve(name));
    }
    Recipe recipe = RecipeBuilder.named("crash")
        .model(Roberta.tiny().hiddenSize(32).layers(1).heads(2).intermediateSize(64).maxPositions(66))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(500))
        .corpus(Corpus.of(Sources.custom("brown", brown + "/c*")).holdout(0.05).pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(4).peakLearningRate(1e-3).warmupSteps(2).totalSteps(6)
            .checkpointEvery(2).seed(3))
        .build();
    recipeFile = dir.resolve("crash.json");
    Files.writeString(recipeFile, RecipeJson.write(recipe));
    Run r = pretrain(dir.resolve("undisturbed"), null);
    assertEquals(0, r.status(), r.out());
    reference = modelSha(dir.resolve("undisturbed"));

    // the same model trained by 2 workers in rounds of 2 steps (DiLoCo), one pipeline per round
    Recipe rounds = RecipeBuilder.named("crash-rounds")
        .model(Roberta.tiny().hiddenSize(32).layers(1).heads(2).intermediateSize(64).maxPositions(66))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(500))
        .corpus(Corpus.of(Sources.custom("brown", brown + "/c*")).holdout(0.05).pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(4).peakLearningRate(1e-3).warmupSteps(2).totalSteps(6)
            .seed(3).workers(2).roundSteps(2).outer(Pretrain.Outer.nesterov(0.7, 0.9)))
        .build();
    roundsFile = dir.resolve("crash-rounds.json");
    Files.writeString(roundsFile, RecipeJson.write(rounds));
    Run rr = pretrain(dir.resolve("rounds-undisturbed"), null, roundsFile);
    assertEquals(0, rr.status(), rr.out());
    assertTrue(rr.out().contains("3 rounds of 2 steps on 2 workers"), rr.out());
    roundsReference = modelSha(dir.resolve("rounds-undisturbed"), "crash-rounds");
  }

  static Run pretrain(Path work, String crashAt) throws IOException, InterruptedException {
    return pretrain(work, crashAt, recipeFile);
  }

  static Run pretrain(Path work, String crashAt, Path recipeFile) throws IOException, InterruptedException {
    assertTrue(Files.isRegularFile(JAR), "build the jar first (./mvnw verify packages it): " + JAR.toAbsolutePath());
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-Droberta.staging=" + dir.resolve("staging")));
    if (crashAt != null) {
      command.add("-Droberta.crashAt=" + crashAt);
    }
    command.addAll(List.of("-jar", JAR.toAbsolutePath().toString(), "pretrain", recipeFile.toString(),
        "--work-dir=" + work, "--holdout-blocks=0", "--sample=none", "--roundsPerPipeline=1"));
    Path log = Files.createTempFile(dir, "out-", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "roberta pretrain did not finish");
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  /** SHA-256 of the exported model.safetensors of the (only) pretraining stage under {@code work}. */
  static String modelSha(Path work) throws Exception {
    return modelSha(work, "crash");
  }

  static String modelSha(Path work, String recipe) throws Exception {
    try (Stream<Path> files = Files.walk(work.resolve(recipe).resolve("pretrain"))) {
      List<Path> models = files.filter(f -> f.endsWith(Path.of("hf", "model.safetensors"))).toList();
      assertEquals(1, models.size(), models.toString());
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(models.get(0))));
    }
  }

  static void crashThenResume(String crashAt, String expectedInResume) throws Exception {
    crashThenResume(crashAt, expectedInResume, recipeFile, "crash", reference);
  }

  static void crashThenResume(String crashAt, String expectedInResume, Path recipeFile, String name, String reference)
      throws Exception {
    Path work = dir.resolve(name + "-" + crashAt.replace(':', '-'));
    Run crashed = pretrain(work, crashAt, recipeFile);
    assertEquals(137, crashed.status(), "expected a crash at " + crashAt + ":\n" + crashed.out());
    assertTrue(crashed.out().contains("crashing at " + crashAt.split(":")[0]), crashed.out());
    Run resumed = pretrain(work, null, recipeFile);
    assertEquals(0, resumed.status(), resumed.out());
    assertTrue(resumed.out().contains(expectedInResume), "expected '" + expectedInResume + "' in\n" + resumed.out());
    assertEquals(reference, modelSha(work, name), "the resumed run's model differs from the undisturbed run's");
    try (Stream<Path> files = Files.walk(work)) {
      assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith(".tmp-")), "temporary files left in " + work);
    }
  }

  @Test
  void killedInsideTheTokenizerStageTrainsItAgain() throws Exception {
    crashThenResume("tokenizer-before-commit", "tokenizer: training byte-level BPE");
  }

  @Test
  void killedInsideACheckpointResumesFromThePreviousOne() throws Exception {
    // the second checkpoint (step 4) has its files but no commit: the resume starts at step 2
    crashThenResume("checkpoint-before-commit:2", "at step 2");
  }

  @Test
  void killedInsideTheManifestCommitResumesFromTheLastCheckpoint() throws Exception {
    crashThenResume("manifest-before-commit", "at step 6");
  }

  @Test
  void aDriverKilledBetweenRoundsResumesAfterTheLastCommittedRound() throws Exception {
    // halted after the first pipeline (round 1) returned, before the second was submitted
    crashThenResume("between-rounds:1", "resuming after round 1", roundsFile, "crash-rounds", roundsReference);
  }

  @Test
  void aDriverKilledInsideARoundCommitRedoesThatRound() throws Exception {
    // round 2's files are written, its ROUND.json is not: the resume redoes round 2 from round 1
    crashThenResume("round-before-commit:3", "resuming after round 1", roundsFile, "crash-rounds", roundsReference);
  }

  @Test
  void aSecondRunOnALockedWorkFolderFailsAtOnce() throws Exception {
    Path work = dir.resolve("locked");
    Files.createDirectories(work.resolve("crash"));
    // a lock held by a live process of this host (this test's JVM)
    Files.writeString(work.resolve("crash").resolve(".lock"), "{\"host\":\"" + java.net.InetAddress.getLocalHost().getHostName()
        + "\",\"pid\":" + ProcessHandle.current().pid() + ",\"started\":\"2026-12-01T00:00:00Z\",\"token\":\"t\"}");
    Run r = pretrain(work, null);
    assertEquals(1, r.status(), r.out());
    assertTrue(r.out().contains("the work folder is locked by another run: " + work.resolve("crash").resolve(".lock")), r.out());
    assertTrue(r.out().contains("pid " + ProcessHandle.current().pid()), r.out());
  }
}
