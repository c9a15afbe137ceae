package io.roberta.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.examples.TinyXlmr;
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
 * XLM-R through {@code roberta run}: a real SentencePiece model ({@code spm_train}'s) as the
 * recipe's tokenizer, then corpus, pretraining, masked-LM evaluation and fill-mask; the exported
 * folder is what Hugging Face's XLM-R classes open.
 */
class XlmrRecipeTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Other tests in this JVM read the recipes' default paths: put the properties back. */
  @org.junit.jupiter.api.AfterEach
  void restoreProperties() {
    restore("roberta.data", savedData);
    restore("roberta.xlmr.spm", savedSpm);
  }

  private final String savedData = System.getProperty("roberta.data");
  private final String savedSpm = System.getProperty("roberta.xlmr.spm");

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  @Test
  void tinyXlmrRunsEndToEndAndExportsAnXlmrFolder(@TempDir Path work) throws Exception {
    Path data = Path.of("..", "..", "shared", "data").toAbsolutePath().normalize();
    Path spm = Path.of("..", "engine", "src", "test", "resources", "tokenizer", "spm", "xlmr-tiny.model")
        .toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(data.resolve("moby-dick")), "the shared data is beside the project: " + data);
    System.setProperty("roberta.data", data.toString());
    System.setProperty("roberta.xlmr.spm", spm.toString());
    CommandLine cli = RobertaCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int status = cli.execute("run", TinyXlmr.class.getName(), "--work-dir=" + work, "--holdout-blocks=64");
    assertEquals(0, status, out + "\n" + err);
    assertTrue(out.toString().contains("fill-mask:"), out.toString());

    Path pretrain;
    try (Stream<Path> dirs = Files.list(work.resolve("tiny-xlmr/pretrain"))) {
      pretrain = dirs.findFirst().orElseThrow();
    }
    JsonNode result = JSON.readTree(pretrain.resolve("result.json").toFile());
    assertEquals(TinyXlmr.STEPS, result.path("steps").asInt(), result.toString());
    assertTrue(result.path("holdoutLoss").asDouble() < result.path("untrainedHoldoutLoss").asDouble() - 1.0,
        "the holdout loss should fall: " + result);

    Path hf = pretrain.resolve("hf");
    assertArrayEquals(Files.readAllBytes(spm), Files.readAllBytes(hf.resolve("sentencepiece.bpe.model")));
    JsonNode config = JSON.readTree(hf.resolve("config.json").toFile());
    assertEquals("XLMRobertaForMaskedLM", config.path("architectures").get(0).asText());
    assertEquals("xlm-roberta", config.path("model_type").asText());
    assertEquals(TinyXlmr.VOCAB, config.path("vocab_size").asInt());
    assertEquals(0, config.path("bos_token_id").asInt());
    assertEquals(1, config.path("pad_token_id").asInt());
    assertEquals(2, config.path("eos_token_id").asInt());
    assertEquals(TinyXlmr.VOCAB - 1, config.path("mask_token_id").asInt());
    JsonNode tokenizerConfig = JSON.readTree(hf.resolve("tokenizer_config.json").toFile());
    assertEquals("XLMRobertaTokenizer", tokenizerConfig.path("tokenizer_class").asText());
    assertEquals("<mask>", tokenizerConfig.path("mask_token").asText());
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(hf)) {
      assertEquals(TinyXlmr.VOCAB, tokenizer.vocabSize());
      assertEquals(TinyXlmr.VOCAB - 1, tokenizer.tokenToId("<mask>"));
    }

    StringWriter fill = new StringWriter();
    cli.setOut(new PrintWriter(fill));
    assertEquals(0, cli.execute("fill-mask", "--model", hf.toString(), "Call me <mask>."), fill.toString());
    assertTrue(fill.toString().lines().count() >= 3, fill.toString());
    JsonNode evalReport;
    try (Stream<Path> reports = Files.walk(work.resolve("tiny-xlmr/eval"))) {
      evalReport = JSON.readTree(reports.filter(p -> p.getFileName().toString().equals("report.json")).findFirst()
          .orElseThrow().toFile());
    }
    assertTrue(evalReport.path("metrics").path("masked_tokens").asDouble() > 100, evalReport.toString());
  }
}
