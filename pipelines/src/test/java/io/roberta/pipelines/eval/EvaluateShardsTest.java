package io.roberta.pipelines.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.finetune.Feature;
import io.roberta.pipelines.finetune.TaskEncoder;
import io.roberta.pipelines.finetune.TaskHead;
import io.roberta.pipelines.finetune.TinyTasks;
import io.roberta.pipelines.tasks.Rejected;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskDataException;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec.Head;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1 shard and 8 shards, DirectRunner and embedded Flink write byte-identical predictions and
 * reports, and the pipeline's predictions equal a plain loop over the same batches.
 */
class EvaluateShardsTest {
  static final int BATCH = 4;
  static final List<String> LABELS = List.of("neg", "pos");
  @TempDir static Path models;
  static Path classifier;
  static Path regressor;
  static Path reader;

  @BeforeAll
  static void saveModels() throws Exception {
    try (var kernels = new Nd4jKernels(KernelPrecision.FP32)) {
      saveModels(kernels);
    }
  }

  private static void saveModels(Nd4jKernels kernels) throws Exception {
    classifier = save(TaskHead.random(TinyTasks.spec(), Head.SEQUENCE_CLASSIFICATION, 2, 3, kernels), "cls");
    regressor = save(TaskHead.random(TinyTasks.spec(), Head.REGRESSION, 1, 4, kernels), "reg");
    reader = save(TaskHead.random(TinyTasks.spec(), Head.QUESTION_ANSWERING, 2, 5, kernels), "qa");
  }

  static Path save(TaskHead head, String name) throws Exception {
    Path dir = models.resolve(name);
    try (head) {
      head.model().save(dir);
    }
    Files.copy(TinyTasks.tokenizerDir().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    return dir;
  }

  static EvalTask classification() {
    return new EvalTask("sentiment", Head.SEQUENCE_CLASSIFICATION, LABELS, 48, List.of());
  }

  static EvalTask regression() {
    return new EvalTask("count", Head.REGRESSION, List.of(), 48, List.of());
  }

  static void run(PipelineOptions options, int shards, Path out) {
    Pipeline p = Pipeline.create(options);
    PCollection<TaskExample> sentiment = p.apply("Sentiment", Create.of(TinyTasks.sentiment(37, 9))
        .withCoder(SerializableCoder.of(TaskExample.class)));
    sentiment.apply("EvaluateSentiment", EvaluateShards.of(io.roberta.pipelines.stage.FolderRef.of(classifier.toString()), classification())
        .shards(shards).batchSize(BATCH).writeTo(out.resolve("sentiment").toString()));
    PCollection<TaskExample> count = p.apply("Count", Create.of(TinyTasks.regression(29, 5))
        .withCoder(SerializableCoder.of(TaskExample.class)));
    count.apply("EvaluateCount", EvaluateShards.of(io.roberta.pipelines.stage.FolderRef.of(regressor.toString()), regression())
        .shards(shards).batchSize(BATCH).writeTo(out.resolve("count").toString()));
    // 16 tokens: the question takes 7, so contexts split into several windows
    PCollection<TaskExample> questions = p.apply("Questions", Create.of(TinyTasks.questions(13, 6))
        .withCoder(SerializableCoder.of(TaskExample.class)));
    questions.apply("EvaluateQuestions", EvaluateShards.of(io.roberta.pipelines.stage.FolderRef.of(reader.toString()),
            new EvalTask("qa", Head.QUESTION_ANSWERING, List.of(), 16, List.of()))
        .shards(shards).batchSize(BATCH).writeTo(out.resolve("qa").toString()));
    p.run().waitUntilFinish();
  }

  static PipelineOptions direct() {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2").create();
  }

  static FlinkPipelineOptions flink(int parallelism) {
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(parallelism);
    return options;
  }

  @Test
  void shardsAndRunnersGiveIdenticalPredictionsAndReports(@TempDir Path dir) throws Exception {
    long heldBefore = Nd4jKernels.heldBytesAll(); // what other tests in this JVM still hold
    run(direct(), 1, dir.resolve("direct1"));
    run(direct(), 8, dir.resolve("direct8"));
    // every worker closed its model and kernels at teardown: nothing left for the collector
    assertTrue(Nd4jKernels.heldBytesAll() <= heldBefore,
        (Nd4jKernels.heldBytesAll() - heldBefore) + " bytes of ND4J buffers left after the pipelines");
    run(flink(2), 8, dir.resolve("flink8"));
    for (String task : new String[] {"sentiment", "count", "qa"}) {
      for (String file : new String[] {"predictions.jsonl", "report.json", "report.md"}) {
        String one = Files.readString(dir.resolve("direct1").resolve(task).resolve(file));
        assertEquals(one, Files.readString(dir.resolve("direct8").resolve(task).resolve(file)), task + "/" + file + ", 8 shards");
        assertEquals(one, Files.readString(dir.resolve("flink8").resolve(task).resolve(file)), task + "/" + file + ", Flink");
      }
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode report = json.readTree(dir.resolve("direct1/sentiment/report.json").toFile());
    assertEquals(37, report.get("examples").asInt());
    assertEquals(bareAccuracy(TinyTasks.sentiment(37, 9)), report.get("metrics").get("accuracy").asDouble(), 0.0);
    List<String> lines = Files.readAllLines(dir.resolve("direct1/count/predictions.jsonl"));
    assertEquals(29, lines.size());
    // a random model still gives each pair its own value: the regression outputs are not constant
    assertNotEquals(json.readTree(lines.get(0)).get("predicted").asDouble(), json.readTree(lines.get(1)).get("predicted").asDouble());
    JsonNode qa = json.readTree(dir.resolve("direct1/qa/report.json").toFile());
    assertEquals(13, qa.get("examples").asInt());
    assertTrue(qa.get("metrics").has("exact_match") && qa.get("metrics").has("f1"));
    JsonNode count = json.readTree(dir.resolve("direct1/count/report.json").toFile());
    assertTrue(count.get("metrics").has("pearson") && count.get("metrics").has("spearman"));
  }

  /** The same batches through the model in a plain loop, without Beam. */
  static double bareAccuracy(List<TaskExample> examples) throws Exception {
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
        TaskHead head = TaskHead.load(classifier, Head.SEQUENCE_CLASSIFICATION, kernels);
        RobertaTokenizer tokenizer = RobertaTokenizer.load(classifier)) {
      TaskEncoder enc = new TaskEncoder(tokenizer, head.model().spec().specialTokens(), Head.SEQUENCE_CLASSIFICATION, LABELS, 48);
      long right = 0;
      for (int from = 0; from < examples.size(); from += BATCH) {
        List<TaskExample> batch = examples.subList(from, Math.min(examples.size(), from + BATCH));
        List<Feature> features = new ArrayList<>();
        batch.forEach(e -> features.addAll(enc.encode(e)));
        float[][] scores = head.scores(features);
        for (int i = 0; i < batch.size(); i++) {
          String label = LABELS.get(scores[i][1] > scores[i][0] ? 1 : 0);
          right += label.equals(batch.get(i).label()) ? 1 : 0;
        }
      }
      return (double) right / examples.size();
    }
  }

  @Test
  void refusesToScoreDataWithRejectedRowsUnlessAccepted() {
    TaskData data = new TaskData("sentiment", Head.SEQUENCE_CLASSIFICATION, LABELS, TinyTasks.sentiment(3, 1),
        List.of(new Rejected("dev.tsv", 7, "label", "label 'meh' is not one of [neg, pos]")));
    TaskDataException e = assertThrows(TaskDataException.class, () -> EvalTask.of(data, 48));
    assertTrue(e.getMessage().contains("dev.tsv:7 [label]"), e.getMessage());
    EvalTask accepted = EvalTask.acceptingRejected(data, 48);
    List<Prediction> predictions = new ArrayList<>();
    for (TaskExample x : data.examples()) {
      predictions.add(new Prediction(x.index(), x.id(), "pos", x.label(), Double.NaN, Double.NaN, null, null, null));
    }
    TaskReport report = TaskReport.score(accepted, predictions);
    assertTrue(report.notes().get(0).contains("1 malformed row(s)"), report.notes().toString());
    assertTrue(ReportFiles.markdown(report).contains("dev.tsv:7 [label]"));
    assertEquals(1, ReportFiles.reportJson(report).get("rejectedRows").asInt());
  }
}
