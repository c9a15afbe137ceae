package io.roberta.pipelines.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.dsl.Finetune;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.ScheduleSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss falls on small synthetic tasks for every head; a saved model loads back the same. */
class FinetunerTest {
  static final Kernels KERNELS = new Nd4jKernels(KernelPrecision.FP32);
  static RobertaTokenizer tokenizer;

  @BeforeAll
  static void load() {
    tokenizer = TinyTasks.tokenizer();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  static List<Feature> encode(Head head, List<String> labels, List<TaskExample> examples) {
    TaskEncoder enc = new TaskEncoder(tokenizer, TinyTasks.spec().specialTokens(), head, labels, 48);
    List<Feature> out = new ArrayList<>();
    examples.forEach(e -> out.addAll(enc.encode(e)));
    return out;
  }

  static Finetuner.Result train(FinetuneSpec spec, List<String> labels, List<TaskExample> examples) {
    TaskHead head = TaskHead.random(TinyTasks.spec(), spec.head(), spec.numLabels(), 7, KERNELS);
    return new Finetuner(head, spec, msg -> {}).train(encode(spec.head(), labels, examples));
  }

  static void assertLearns(Finetuner.Result r) {
    double first = r.meanOfFirst(4);
    double last = r.meanOfLast(4);
    assertTrue(last < 0.7 * first, "loss did not fall: first steps " + first + ", last steps " + last);
  }

  @Test
  void sequenceClassificationLossFalls() {
    FinetuneSpec spec = Finetune.classification("sentiment", 2).epochs(10).batchSize(8).learningRate(5e-3).build();
    assertLearns(train(spec, List.of("neg", "pos"), TinyTasks.sentiment(40, 1)));
  }

  @Test
  void regressionLossFalls() {
    FinetuneSpec spec = Finetune.regression("count").epochs(6).batchSize(8).learningRate(2e-3).build();
    assertLearns(train(spec, List.of(), TinyTasks.regression(48, 2)));
  }

  @Test
  void tokenClassificationLossFalls() {
    FinetuneSpec spec = Finetune.tokenClassification("tags", 3).epochs(5).batchSize(8).learningRate(2e-3).build();
    assertLearns(train(spec, List.of("O", "GOOD", "BAD"), TinyTasks.tagging(48, 3)));
  }

  @Test
  void questionAnsweringLossFalls() {
    FinetuneSpec spec = Finetune.questionAnswering("qa").epochs(5).batchSize(8).learningRate(3e-3).build();
    assertLearns(train(spec, List.of(), TinyTasks.questions(32, 4)));
  }

  @Test
  void multipleChoiceLossFallsAndTheRightChoiceWins() {
    FinetuneSpec spec = Finetune.multipleChoice("good-word", 4).epochs(12).batchSize(8).learningRate(5e-3).build();
    List<String> letters = List.of("A", "B", "C", "D");
    List<TaskExample> examples = TinyTasks.choices(40, 6);
    TaskHead head = TaskHead.random(TinyTasks.spec(), Head.MULTIPLE_CHOICE, 4, 7, KERNELS);
    List<Feature> features = encode(Head.MULTIPLE_CHOICE, letters, examples);
    assertLearns(new Finetuner(head, spec, msg -> {}).train(features));
    float[][] scores = head.scores(features);
    int right = 0;
    for (int i = 0; i < scores.length; i++) {
      assertEquals(4, scores[i].length);
      int best = 0;
      for (int c = 1; c < 4; c++) {
        best = scores[i][c] > scores[i][best] ? c : best;
      }
      right += best == features.get(i).label() ? 1 : 0;
    }
    assertTrue(right >= 30, right + " of 40 training questions answered right after fine-tuning (chance: 10)");
  }

  @Test
  void warmupThenLinearDecay() {
    FinetuneSpec spec = Finetune.classification("x", 2).learningRate(1e-4).warmupRatio(0.1).build();
    ScheduleSpec s = Finetuner.schedule(spec, 100);
    assertEquals(10, s.warmupSteps());
    assertEquals(0.5e-4, s.learningRate(5), 1e-12);
    assertEquals(1e-4, s.learningRate(10), 1e-12);
    assertEquals(0.5e-4, s.learningRate(55), 1e-12);
    assertEquals(0.0, s.learningRate(100), 1e-12);
  }

  @Test
  void savedModelLoadsBackWithTheSameScoresAndAnHfConfig(@TempDir Path dir) throws Exception {
    FinetuneSpec spec = Finetune.tokenClassification("tags", 3).epochs(1).batchSize(8).learningRate(1e-3).build();
    TaskHead head = TaskHead.random(TinyTasks.spec(), Head.TOKEN_CLASSIFICATION, 3, 5, KERNELS);
    List<Feature> features = encode(Head.TOKEN_CLASSIFICATION, List.of("O", "GOOD", "BAD"), TinyTasks.tagging(16, 5));
    new Finetuner(head, spec, m -> {}).train(features);
    head.model().save(dir);
    TaskHead loaded = TaskHead.load(dir, Head.TOKEN_CLASSIFICATION, KERNELS);
    float[][] before = head.scores(features.subList(0, 4));
    float[][] after = loaded.scores(features.subList(0, 4));
    for (int i = 0; i < before.length; i++) {
      assertArrayEquals(before[i], after[i], 0f);
    }
    JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    assertEquals("RobertaForTokenClassification", config.get("architectures").get(0).asText());
    assertEquals(3, config.get("id2label").size());
  }

  @Test
  void aPretrainedEncoderIsKeptAndTheHeadIsNew(@TempDir Path dir) throws Exception {
    TaskHead pretrained = TaskHead.random(TinyTasks.spec(), Head.TOKEN_CLASSIFICATION, 3, 11, KERNELS);
    pretrained.model().save(dir);
    TaskHead cls = TaskHead.fromPretrained(dir, Head.SEQUENCE_CLASSIFICATION, 4, 3, KERNELS);
    String name = "roberta.encoder.layer.1.output.dense.weight";
    assertArrayEquals(
        KERNELS.toFloats(pretrained.model().parameters().get(name).value()),
        KERNELS.toFloats(cls.model().parameters().get(name).value()), 0f);
    assertEquals(4, cls.model().numLabels());
  }

  /**
   * A finite loss with an infinite gradient: dimension 0 of the last layer norm is set to nearly
   * the largest float, the classifier's dense layer ignores that dimension (its column is zero), so
   * the forward pass and the loss stay finite while that column's gradient overflows. Before,
   * only the loss was checked and AdamW wrote NaN into the weights.
   */
  @Test
  void aNonFiniteGradientNormStopsFineTuningBeforeTheStep() {
    FinetuneSpec spec = Finetune.classification("sentiment", 2).epochs(1).batchSize(8).learningRate(1e-3).build();
    TaskHead head = TaskHead.random(TinyTasks.spec(), Head.SEQUENCE_CLASSIFICATION, 2, 7, KERNELS);
    var params = head.model().parameters();
    int h = TinyTasks.spec().hiddenSize();
    KERNELS.set(params.get("roberta.encoder.layer.1.output.LayerNorm.weight").value(), 0, 0.0);
    KERNELS.set(params.get("roberta.encoder.layer.1.output.LayerNorm.bias").value(), 0, 2.9e38); // x 1/0.9 dropout: finite
    for (int row = 0; row < h; row++) {
      KERNELS.set(params.get("classifier.dense.weight").value(), (long) row * h, 0.0);
    }
    for (int i = 0; i < 2 * h; i++) {
      KERNELS.set(params.get("classifier.out_proj.weight").value(), i, i % 2 == 0 ? 50.0 : -50.0);
    }
    io.roberta.engine.train.TrainingDivergedException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.roberta.engine.train.TrainingDivergedException.class,
        () -> new Finetuner(head, spec, m -> {}).train(encode(Head.SEQUENCE_CLASSIFICATION, List.of("neg", "pos"),
            TinyTasks.sentiment(16, 1))));
    assertTrue(e.getMessage().contains("gradient norm = Infinity")
        && !e.getMessage().contains("loss = NaN") && !e.getMessage().contains("loss = Infinity"), e.getMessage());
    for (float w : KERNELS.toFloats(params.get("classifier.dense.weight").value())) {
      assertTrue(Float.isFinite(w), "stopped before the optimizer step wrote NaN into the weights");
    }
  }
}
