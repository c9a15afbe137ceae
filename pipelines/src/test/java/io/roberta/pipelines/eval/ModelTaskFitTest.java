package io.roberta.pipelines.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.io.ModelFileException;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.pipelines.finetune.Feature;
import io.roberta.pipelines.finetune.TaskHead;
import io.roberta.pipelines.finetune.TinyTasks;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec.Head;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model evaluated on a task it was not trained for is refused before anything is scored. */
class ModelTaskFitTest {
  static final List<String> MNLI = List.of("contradiction", "entailment", "neutral");
  static final List<String> RTE = List.of("entailment", "not_entailment");

  static Path model(Path dir, Head head, int labels, List<String> names) throws Exception {
    TaskHead h = TaskHead.random(TinyTasks.spec(), head, labels, 3, new Nd4jKernels(KernelPrecision.FP32));
    h.model().save(dir);
    if (names != null) {
      ObjectMapper json = new ObjectMapper();
      ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
      ObjectNode id2label = config.putObject("id2label");
      for (int i = 0; i < names.size(); i++) {
        id2label.put(Integer.toString(i), names.get(i));
      }
      json.writeValue(dir.resolve("config.json").toFile(), config);
    }
    return dir;
  }

  static EvalTask rte() {
    return new EvalTask("rte", Head.SEQUENCE_CLASSIFICATION, RTE, 48, List.of());
  }

  @Test
  void aThreeLabelMnliModelOnTwoLabelRteIsRefusedBeforeThePipelineRuns(@TempDir Path dir) throws Exception {
    Path mnli = model(dir.resolve("mnli"), Head.SEQUENCE_CLASSIFICATION, 3, MNLI);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    var examples = p.apply(Create.of(TinyTasks.sentiment(4, 1)).withCoder(SerializableCoder.of(TaskExample.class)));
    ModelFileException e = assertThrows(ModelFileException.class,
        () -> examples.apply(EvaluateShards.of(io.roberta.pipelines.stage.FolderRef.of(mnli.toString()), rte())));
    assertEquals("id2label", e.item());
    assertTrue(e.getMessage().contains(mnli.resolve("config.json").toString())
        && e.getMessage().contains("3 label(s)") && e.getMessage().contains("not_entailment"), e.getMessage());
  }

  @Test
  void sameCountDifferentNamesIsRefusedPlaceholderNamesAreNot(@TempDir Path dir) throws Exception {
    Path named = model(dir.resolve("named"), Head.SEQUENCE_CLASSIFICATION, 2, List.of("neg", "pos"));
    ModelFileException e = assertThrows(ModelFileException.class, () -> ModelTaskFit.check(named, rte()));
    assertEquals("id2label", e.item());
    assertTrue(e.getMessage().contains("[neg, pos]") && e.getMessage().contains("[entailment, not_entailment]"), e.getMessage());
    Path swapped = model(dir.resolve("swapped"), Head.SEQUENCE_CLASSIFICATION, 2, List.of("not_entailment", "entailment"));
    assertThrows(ModelFileException.class, () -> ModelTaskFit.check(swapped, rte()));
    ModelTaskFit.check(model(dir.resolve("fits"), Head.SEQUENCE_CLASSIFICATION, 2, RTE), rte());
    ModelTaskFit.check(model(dir.resolve("placeholders"), Head.SEQUENCE_CLASSIFICATION, 2, null), rte());
  }

  @Test
  void aModelWithAnotherHeadIsRefused(@TempDir Path dir) throws Exception {
    Path qa = model(dir.resolve("qa"), Head.QUESTION_ANSWERING, 2, null);
    ModelFileException e = assertThrows(ModelFileException.class, () -> ModelTaskFit.check(qa, rte()));
    assertEquals("architectures", e.item());
    assertTrue(e.getMessage().contains("RobertaForQuestionAnswering") && e.getMessage().contains("RobertaForSequenceClassification"), e.getMessage());
    Path cls = model(dir.resolve("cls"), Head.SEQUENCE_CLASSIFICATION, 2, null);
    e = assertThrows(ModelFileException.class, () -> ModelTaskFit.check(cls,
        new EvalTask("stsb", Head.REGRESSION, List.of(), 48, List.of())));
    assertTrue(e.getMessage().contains("regression"), e.getMessage());
  }

  @Test
  void nanScoresStopTheEvaluationInsteadOfArgMaxingToLabelZero() {
    TaskExample e = new TaskExample(0, "ex-7", "a", null, "pos", Double.NaN, null, null, null);
    Feature f = new Feature(0, new int[] {0, 5, 2}, 1, Double.NaN, null, null, 0, 0, -1, null);
    NonFiniteScoreException x = assertThrows(NonFiniteScoreException.class, () -> Predictor.predict(e,
        List.of("neg", "pos"), List.of(f), List.of(new float[] {Float.NaN, Float.NaN}), Head.SEQUENCE_CLASSIFICATION));
    assertTrue(x.getMessage().contains("ex-7"), x.getMessage());
  }
}
