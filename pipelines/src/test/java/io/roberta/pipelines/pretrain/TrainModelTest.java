package io.roberta.pipelines.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.train.MetricsLog;
import io.roberta.engine.train.StepMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainModelTest {

  static PCollection<TrainingResult> train(Pipeline p, TrainingJob job, TrainModel transform) {
    return p.apply("Job", Create.of(job).withCoder(SerializableCoder.of(TrainingJob.class))).apply("TrainModel", transform);
  }

  @Test
  void trainsOnTheDirectRunnerAndARetryResumes(@TempDir Path dir) throws Exception {
    TrainingJob job = TinyJob.job(dir, TinyJob.recipe(null), -1);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    PCollection<TrainingResult> results = train(p, job, TrainModel.onCpu());
    PAssert.thatSingleton(results).satisfies(r -> {
      assertEquals(6, r.steps());
      assertTrue(r.holdoutMaskedTokens() > 0);
      assertTrue(r.holdoutAccuracy() >= 0 && r.baselineAccuracy() > 0);
      return null;
    });
    p.run().waitUntilFinish();

    Path out = dir.resolve("pretrain");
    for (String f : List.of("metrics.jsonl", "loss.png", "result.json", "hf/config.json", "hf/model.safetensors", "hf/tokenizer.json",
        "checkpoints/step-00000006/model.safetensors", "checkpoints/step-00000003/optimizer.safetensors")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    byte[] png = Files.readAllBytes(out.resolve("loss.png"));
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
    List<StepMetrics> first = MetricsLog.read(out.resolve("metrics.jsonl"));
    assertEquals(6, first.size());
    var result = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("result.json").toFile());
    assertEquals(6, result.path("steps").asLong());
    assertTrue(Double.isFinite(result.path("untrainedHoldoutLoss").asDouble()), result.toString());
    assertTrue(Double.isFinite(result.path("holdoutLoss").asDouble()), result.toString());
    String kernels = result.path("kernels").asText();
    assertTrue(kernels.startsWith("nd4j-native, FP32, float ops ") && kernels.contains("OpenBLAS"), kernels);

    // A retried bundle (here: the same job again) resumes from the final checkpoint and trains nothing twice.
    Pipeline again = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    train(again, job, TrainModel.onCpu());
    again.run().waitUntilFinish();
    assertEquals(first, MetricsLog.read(out.resolve("metrics.jsonl")));
  }

  @Test
  void embeddedFlinkTrainsTheSameSteps(@TempDir Path dir) throws Exception {
    TrainingJob directJob = TinyJob.job(dir.resolve("direct"), TinyJob.recipe(null), 4);
    Pipeline direct = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    train(direct, directJob, TrainModel.onCpu());
    direct.run().waitUntilFinish();

    TrainingJob flinkJob = TinyJob.job(dir.resolve("flink"), TinyJob.recipe(null), 4);
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs("--flinkMaster=[local]", "--parallelism=2").as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    Pipeline flink = Pipeline.create(options);
    train(flink, flinkJob, TrainModel.onCpu());
    flink.run().waitUntilFinish();

    List<StepMetrics> a = MetricsLog.read(dir.resolve("direct/pretrain/metrics.jsonl"));
    List<StepMetrics> b = MetricsLog.read(dir.resolve("flink/pretrain/metrics.jsonl"));
    assertEquals(4, a.size());
    assertEquals(a.stream().map(StepMetrics::loss).toList(), b.stream().map(StepMetrics::loss).toList());
  }

  @Test
  void onlyTheTrainingStepAsksForTheAccelerator(@TempDir Path dir) throws Exception {
    String hint = "type:nvidia-l4;count:1;install-nvidia-driver";
    TrainingJob job = TinyJob.job(dir, TinyJob.recipe(hint), -1);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    train(p, job, TrainModel.withAccelerator(job.recipeJson().contains(hint) ? hint : null));
    RunnerApi.Pipeline proto = PipelineTranslation.toProto(p);
    Map<String, RunnerApi.PTransform> transforms = proto.getComponents().getTransformsMap();
    int hinted = 0;
    for (RunnerApi.PTransform t : transforms.values()) {
      if (t.getEnvironmentId().isEmpty()) {
        continue;
      }
      RunnerApi.Environment env = proto.getComponents().getEnvironmentsOrThrow(t.getEnvironmentId());
      boolean hasAccelerator = env.getResourceHintsMap().containsKey("beam:resources:accelerator:v1");
      if (t.getUniqueName().endsWith("TrainModel/" + TrainModel.TRAIN_STEP + "/ParMultiDo(Train)")
          || t.getUniqueName().endsWith("TrainModel/" + TrainModel.TRAIN_STEP)) {
        assertTrue(hasAccelerator, t.getUniqueName());
        assertEquals(hint, env.getResourceHintsMap().get("beam:resources:accelerator:v1").toStringUtf8());
        hinted++;
      } else {
        assertFalse(hasAccelerator, t.getUniqueName() + " must not ask for a GPU");
      }
    }
    assertTrue(hinted >= 1, "the training step carries the hint: " + transforms.keySet());
  }

  static final SerializableFunction<TrainingResult, Void> NOTHING = r -> null;
}
