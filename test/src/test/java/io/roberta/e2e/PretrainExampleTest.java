package io.roberta.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.examples.TinyBrownSmoke;
import io.roberta.runners.cli.RobertaCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The main example, cut short: tokenizer, corpus and {@value TinyBrownSmoke#STEPS} pretraining
 * steps on the Brown corpus, Moby-Dick and the State of the Union addresses, on the DirectRunner.
 * The holdout loss must fall below the untrained model's and the masked-token accuracy must beat
 * the best constant guess.
 */
class PretrainExampleTest {
  @Test
  void theSmokeRecipeLearns(@TempDir Path work) throws Exception {
    Path data = Path.of("..", "..", "shared", "data").toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(data.resolve("brown")), "the shared data is beside the project: " + data);
    System.setProperty("roberta.data", data.toString());
    CommandLine cli = RobertaCli.newCommandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    int status = cli.execute("pretrain", TinyBrownSmoke.class.getName(), "--work-dir=" + work, "--holdout-blocks=400");
    assertEquals(0, status, out.toString());

    Path pretrain;
    try (Stream<Path> dirs = Files.list(work.resolve("tiny-brown/pretrain"))) {
      pretrain = dirs.findFirst().orElseThrow();
    }
    JsonNode result = new ObjectMapper().readTree(pretrain.resolve("result.json").toFile());
    assertEquals(TinyBrownSmoke.STEPS, result.path("steps").asInt(), result.toString());
    double untrained = result.path("untrainedHoldoutLoss").asDouble();
    double loss = result.path("holdoutLoss").asDouble();
    assertTrue(loss < untrained - 1.0, "holdout loss should fall by more than 1 nat: " + untrained + " -> " + loss);
    double accuracy = result.path("holdoutAccuracy").asDouble();
    double baseline = result.path("baselineAccuracy").asDouble();
    // ~7,500 masked tokens: the standard error of an accuracy near 0.06 is about 0.0027, so a
    // margin of 0.01 is more than three and a half of them (measured: 0.0612 vs 0.0372).
    assertTrue(accuracy > baseline + 0.01,
        "masked-token accuracy " + accuracy + " should clearly beat the best constant guess " + baseline);
    for (String f : new String[] {"loss.png", "metrics.jsonl", "hf/config.json", "hf/model.safetensors", "hf/tokenizer.json", "manifest.json"}) {
      assertTrue(Files.isRegularFile(pretrain.resolve(f)), f);
    }
    assertTrue(out.toString().contains("fill-mask:"), out.toString());

    // Same recipe again: every stage is found done and skipped.
    StringWriter again = new StringWriter();
    cli.setOut(new PrintWriter(again));
    assertEquals(0, cli.execute("pretrain", TinyBrownSmoke.class.getName(), "--work-dir=" + work));
    assertTrue(again.toString().contains("already done"), again.toString());
  }
}
