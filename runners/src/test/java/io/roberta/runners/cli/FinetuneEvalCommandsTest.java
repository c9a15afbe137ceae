package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code roberta finetune} then {@code roberta eval} on a tiny RTE-shaped task, in-process. */
class FinetuneEvalCommandsTest {
  static final Path TOKENIZER = Path.of("../engine/src/test/resources/tokenizer/hf-bpe/tokenizer.json");
  static final int VOCAB = 2156;

  static String rte(int rows, String badRow) {
    StringBuilder s = new StringBuilder("index\tsentence1\tsentence2\tlabel\n");
    for (int i = 0; i < rows; i++) {
      s.append(i).append("\tA dog barks number ").append(i).append(".\tA dog ").append(i % 2 == 0 ? "makes noise" : "sleeps")
          .append(".\t").append(i % 2 == 0 ? "entailment" : "not_entailment").append('\n');
    }
    return s.append(badRow == null ? "" : badRow).toString();
  }

  @Test
  void finetuneThenEvalWritesAReport(@TempDir Path dir) throws Exception {
    Path pretrained = dir.resolve("pretrained");
    ModelSpec spec = new ModelSpec(VOCAB, 32, 2, 4, 64, 66, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(VOCAB), LayerSharing.NONE);
    RobertaForMaskedLM mlm = new RobertaForMaskedLM(spec, new Nd4jKernels(KernelPrecision.FP32));
    mlm.initialize(2);
    mlm.save(pretrained);
    Files.copy(TOKENIZER, pretrained.resolve("tokenizer.json"));
    Path data = Files.createDirectories(dir.resolve("RTE"));
    Files.writeString(data.resolve("train.tsv"), rte(12, null));
    Files.writeString(data.resolve("dev.tsv"), rte(10, null));

    CommandLineTest.Result ft = CommandLineTest.run("finetune", "--task", "rte", "--data", data.toString(),
        "--from", pretrained.toString(), "--out", dir.resolve("rte").toString(), "--epochs", "1",
        "--batch-size", "4", "--max-length", "32", "--lr", "1e-4");
    assertEquals(0, ft.status(), ft.out() + ft.err());
    assertTrue(ft.out().contains("3 steps"), ft.out());
    JsonNode config = new ObjectMapper().readTree(dir.resolve("rte/config.json").toFile());
    assertEquals("RobertaForSequenceClassification", config.get("architectures").get(0).asText());
    assertEquals("not_entailment", config.get("id2label").get("1").asText());

    CommandLineTest.Result ev = CommandLineTest.run("eval", "--task", "rte", "--data", data.toString(),
        "--model", dir.resolve("rte").toString(), "--out", dir.resolve("report").toString(), "--shards", "3",
        "--batch-size", "4", "--runner=DirectRunner");
    assertEquals(0, ev.status(), ev.out() + ev.err());
    assertTrue(ev.out().contains("| accuracy |"), ev.out());
    JsonNode report = new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
    assertEquals(10, report.get("examples").asInt());
    assertEquals(10, Files.readAllLines(dir.resolve("report/predictions.jsonl")).size());
  }

  /** The {@code race} task: RACE's folders (the pipelines' test files), multiple choice end to end. */
  @Test
  void raceFinetuneThenEvalScoresAccuracy(@TempDir Path dir) throws Exception {
    Path pretrained = dir.resolve("pretrained");
    ModelSpec spec = new ModelSpec(VOCAB, 32, 2, 4, 64, 66, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(VOCAB), LayerSharing.NONE);
    RobertaForMaskedLM mlm = new RobertaForMaskedLM(spec, new Nd4jKernels(KernelPrecision.FP32));
    mlm.initialize(2);
    mlm.save(pretrained);
    Files.copy(TOKENIZER, pretrained.resolve("tokenizer.json"));
    Path race = Path.of("../pipelines/src/test/resources/race");
    CommandLineTest.Result ft = CommandLineTest.run("finetune", "--task", "race", "--data", race.toString(),
        "--from", pretrained.toString(), "--out", dir.resolve("race").toString(), "--epochs", "2",
        "--batch-size", "2", "--max-length", "48", "--lr", "1e-4");
    assertEquals(0, ft.status(), ft.out() + ft.err());
    assertTrue(ft.out().contains("on 3 examples: 4 steps"), ft.out());
    JsonNode config = new ObjectMapper().readTree(dir.resolve("race/config.json").toFile());
    assertEquals("RobertaForMultipleChoice", config.get("architectures").get(0).asText());
    assertTrue(io.roberta.engine.io.SafeTensors.read(dir.resolve("race/model.safetensors")).contains("roberta.pooler.dense.weight"));

    CommandLineTest.Result ev = CommandLineTest.run("eval", "--task", "race", "--data", race.toString(),
        "--model", dir.resolve("race").toString(), "--out", dir.resolve("report").toString(), "--shards", "2",
        "--batch-size", "2", "--runner=DirectRunner");
    assertEquals(0, ev.status(), ev.out() + ev.err());
    assertTrue(ev.out().contains("| accuracy |"), ev.out());
    JsonNode report = new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
    assertEquals(3, report.get("examples").asInt());
    assertEquals("MULTIPLE_CHOICE", report.get("head").asText());
    double accuracy = report.get("metrics").get("accuracy").asDouble();
    assertTrue(accuracy >= 0 && accuracy <= 1, report.toString());
    assertTrue(Files.readString(dir.resolve("report/predictions.jsonl")).contains("\"id\":\"high/3.txt#1\""));
  }

  @Test
  void maskedLmEvalScoresHoldoutBlocks(@TempDir Path dir) throws Exception {
    ModelSpec spec = new ModelSpec(300, 32, 2, 4, 64, 24, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(300), LayerSharing.NONE);
    RobertaForMaskedLM mlm = new RobertaForMaskedLM(spec, new Nd4jKernels(KernelPrecision.FP32));
    mlm.initialize(2);
    mlm.save(dir.resolve("mlm"));
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(10 * 16 * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 10 * 16; i++) {
      buf.putShort((short) (i % 16 == 0 ? 0 : i % 16 == 15 ? 2 : 4 + (i * 7) % 290));
    }
    Path shard = Files.write(dir.resolve("holdout-00000.bin"), buf.array());
    CommandLineTest.Result ev = CommandLineTest.run("eval", "--masked-lm", "--model", dir.resolve("mlm").toString(),
        "--holdout", shard.toString(), "--block-length", "16", "--dtype", "uint16", "--out", dir.resolve("report").toString(),
        "--shards", "2", "--batch-size", "4");
    assertEquals(0, ev.status(), ev.out() + ev.err());
    assertTrue(ev.out().contains("| perplexity |"), ev.out());
    JsonNode report = new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
    assertEquals(10, report.get("examples").asInt());
    assertTrue(report.get("metrics").get("masked_tokens").asInt() > 0, report.toString());
  }

  @Test
  void evalRefusesMalformedRowsWithFileAndLine(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("RTE"));
    Files.writeString(data.resolve("dev.tsv"), rte(3, "3\tonly\ttwo\n"));
    Path model = Files.createDirectories(dir.resolve("model"));
    Files.writeString(model.resolve("config.json"), "{}");
    CommandLineTest.Result ev = CommandLineTest.run("eval", "--task", "rte", "--data", data.toString(),
        "--model", model.toString(), "--out", dir.resolve("report").toString());
    assertEquals(1, ev.status(), ev.out() + ev.err());
    assertTrue(ev.err().contains(data.resolve("dev.tsv") + ":5"), ev.err());
    assertTrue(ev.err().contains("3 tab-separated columns, expected 4"), ev.err());
  }

  /** Writes the same 10 blocks of 16 ids as {@code dtype} with a corpus manifest that says so. */
  private static Path shardWithManifest(Path dir, String dtype) throws Exception {
    Files.createDirectories(dir);
    boolean int32 = dtype.equals("int32");
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(10 * 16 * (int32 ? 4 : 2)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 10 * 16; i++) {
      int id = i % 16 == 0 ? 0 : i % 16 == 15 ? 2 : 4 + (i * 7) % 290;
      if (int32) {
        buf.putInt(id);
      } else {
        buf.putShort((short) id);
      }
    }
    Path shard = Files.write(dir.resolve("holdout-00000-of-00001.bin"), buf.array());
    Files.writeString(dir.resolve("manifest.json"), "{\"format\": {\"dtype\": \"" + dtype + "\", \"blockLength\": 16},"
        + " \"splits\": {\"holdout\": {\"shards\": [{\"file\": \"holdout-00000-of-00001.bin\", \"blocks\": 10}]}}}");
    return shard;
  }

  @Test
  void maskedLmEvalTakesTheShardTypeFromTheCorpusManifest(@TempDir Path dir) throws Exception {
    ModelSpec spec = new ModelSpec(300, 32, 2, 4, 64, 24, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(300), LayerSharing.NONE);
    RobertaForMaskedLM mlm = new RobertaForMaskedLM(spec, new Nd4jKernels(KernelPrecision.FP32));
    mlm.initialize(2);
    mlm.save(dir.resolve("mlm"));
    Path int32 = shardWithManifest(dir.resolve("corpus-int32"), "int32");
    Path uint16 = shardWithManifest(dir.resolve("corpus-uint16"), "uint16");
    // no --dtype, no --block-length: both come from the manifest, and the same ids score the same
    for (Path shard : List.of(int32, uint16)) {
      String out = dir.resolve("report-" + shard.getParent().getFileName()).toString();
      CommandLineTest.Result ev = CommandLineTest.run("eval", "--masked-lm", "--model", dir.resolve("mlm").toString(),
          "--holdout", shard.toString(), "--out", out, "--batch-size", "4");
      assertEquals(0, ev.status(), ev.out() + ev.err());
    }
    JsonNode a = new ObjectMapper().readTree(dir.resolve("report-corpus-int32/report.json").toFile());
    JsonNode b = new ObjectMapper().readTree(dir.resolve("report-corpus-uint16/report.json").toFile());
    assertEquals(b.get("metrics"), a.get("metrics"));
    assertEquals(10, a.get("examples").asInt());
    // read as UINT16 this INT32 shard gives 20 blocks of interleaved zeros: refused, naming the manifest
    CommandLineTest.Result wrong = CommandLineTest.run("eval", "--masked-lm", "--model", dir.resolve("mlm").toString(),
        "--holdout", int32.toString(), "--dtype", "uint16", "--out", dir.resolve("wrong").toString());
    assertEquals(1, wrong.status(), wrong.out() + wrong.err());
    assertTrue(wrong.err().contains("--dtype uint16 disagrees with " + int32.getParent().resolve("manifest.json"))
        && wrong.err().contains("int32"), wrong.err());
    // without a manifest nothing is guessed
    Path bare = Files.copy(int32, Files.createDirectories(dir.resolve("bare")).resolve("holdout.bin"));
    CommandLineTest.Result guess = CommandLineTest.run("eval", "--masked-lm", "--model", dir.resolve("mlm").toString(),
        "--holdout", bare.toString(), "--out", dir.resolve("guess").toString());
    assertEquals(1, guess.status(), guess.out() + guess.err());
    assertTrue(guess.err().contains(bare.toString()) && guess.err().contains("--dtype"), guess.err());
  }
}
