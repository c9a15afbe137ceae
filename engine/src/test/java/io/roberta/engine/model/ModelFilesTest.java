package io.roberta.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.io.ModelFileException;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.io.TensorData;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and loading models beyond the HF fixture: shared layers, heads, config fields kept. */
class ModelFilesTest {
  private final Kernels k = new Nd4jKernels(KernelPrecision.FP32);
  @TempDir Path dir;

  static ModelSpec spec(LayerSharing sharing) {
    return new ModelSpec(20, 8, 3, 2, 16, 12, 1, 1e-5, 0.0, 0.0, 0.02, SpecialTokens.roberta(20),
        sharing);
  }

  @Test
  void sharedLayersAreWrittenPerDepthAndReadBack() throws Exception {
    RobertaForMaskedLM model = new RobertaForMaskedLM(spec(LayerSharing.ALL_LAYERS), k);
    model.initialize(5);
    model.save(dir);
    SafeTensors file = SafeTensors.read(dir.resolve("model.safetensors"));
    String name = "attention.self.query.weight";
    // transformers sees an ordinary 3-layer model
    assertEquals(file.tensor("roberta.encoder.layer.0." + name),
        file.tensor("roberta.encoder.layer.2." + name));
    assertEquals(LayerSharing.ALL_LAYERS,
        HfConfig.read(dir.resolve("config.json")).spec().layerSharing());
    RobertaForMaskedLM loaded = RobertaForMaskedLM.load(dir, k);
    assertEquals(model.parameters().count(), loaded.parameters().count());
    Batch batch = Batch.pad(new int[][] {{0, 7, 19, 5, 2}, {0, 6, 2}}, 1);
    assertArrayEquals(k.toFloats(model.logits(model.encode(batch, RunMode.inference()))),
        k.toFloats(loaded.logits(loaded.encode(batch, RunMode.inference()))));
  }

  @Test
  void sharedLayersThatDifferInTheFileAreRejected() throws Exception {
    RobertaForMaskedLM model = new RobertaForMaskedLM(spec(LayerSharing.ALL_LAYERS), k);
    model.initialize(5);
    model.save(dir);
    Path weights = dir.resolve("model.safetensors");
    Map<String, TensorData> tensors = new LinkedHashMap<>(SafeTensors.read(weights).tensors());
    String changed = "roberta.encoder.layer.1.output.dense.bias";
    float[] ones = new float[8];
    java.util.Arrays.fill(ones, 1f);
    tensors.put(changed, TensorData.ofFloats(ones, 8));
    SafeTensors.write(weights, tensors, Map.of("format", "pt"));
    ModelFileException e =
        assertThrows(ModelFileException.class, () -> RobertaForMaskedLM.load(dir, k));
    assertEquals(changed, e.item());
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
  }

  @Test
  void everyHeadRoundTripsWithItsArchitecture() throws Exception {
    ModelSpec spec = spec(LayerSharing.NONE);
    RobertaTaskModel<?>[] models = {
      new RobertaForSequenceClassification(spec, 4, k),
      new RobertaForTokenClassification(spec, 5, k),
      new RobertaForQuestionAnswering(spec, k),
      new RobertaForMultipleChoice(spec, 4, k)
    };
    for (RobertaTaskModel<?> m : models) {
      m.initialize(8);
      Path out = dir.resolve(m.architecture());
      m.save(out);
      HfConfig config = HfConfig.read(out.resolve("config.json"));
      assertEquals(m.architecture(), config.architecture());
      assertEquals(m.numLabels(), config.numLabels());
      RobertaTaskModel<?> loaded = switch (m.architecture()) {
        case HfConfig.SEQUENCE_CLASSIFICATION -> RobertaForSequenceClassification.load(out, k);
        case HfConfig.TOKEN_CLASSIFICATION -> RobertaForTokenClassification.load(out, k);
        case HfConfig.MULTIPLE_CHOICE -> RobertaForMultipleChoice.load(out, k);
        default -> RobertaForQuestionAnswering.load(out, k);
      };
      assertEquals(m.parameters().values(), loaded.parameters().values(), m.architecture());
    }
  }

  /**
   * The tensors of HF's {@code RobertaForMultipleChoice} (its {@code state_dict()} keys for this
   * shape, {@code position_ids} buffers aside): the encoder, {@code roberta.pooler.dense} and a
   * one-output {@code classifier}. A model saved here names exactly these, and one that starts
   * from a masked-LM checkpoint (which has no pooler) takes the encoder and draws the rest.
   */
  @Test
  void multipleChoiceUsesHuggingFaceNamesAndStartsFromAMaskedLm() throws Exception {
    ModelSpec spec = spec(LayerSharing.NONE);
    RobertaForMaskedLM pretrained = new RobertaForMaskedLM(spec, k);
    pretrained.initialize(2);
    pretrained.save(dir);
    RobertaForMultipleChoice choice = RobertaForMultipleChoice.fromPretrained(dir, 4, 9, k);
    String shared = "roberta.encoder.layer.1.attention.self.key.weight";
    assertArrayEquals(k.toFloats(pretrained.parameters().get(shared).value()),
        k.toFloats(choice.parameters().get(shared).value()));
    Path out = dir.resolve("choice");
    choice.save(out);
    java.util.Set<String> expected = new java.util.TreeSet<>(java.util.List.of(
        "roberta.embeddings.word_embeddings.weight", "roberta.embeddings.position_embeddings.weight",
        "roberta.embeddings.token_type_embeddings.weight", "roberta.embeddings.LayerNorm.weight",
        "roberta.embeddings.LayerNorm.bias", "roberta.pooler.dense.weight", "roberta.pooler.dense.bias",
        "classifier.weight", "classifier.bias"));
    for (int layer = 0; layer < spec.numLayers(); layer++) {
      for (String w : java.util.List.of("attention.self.query", "attention.self.key", "attention.self.value",
          "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
          "output.LayerNorm")) {
        expected.add("roberta.encoder.layer." + layer + "." + w + ".weight");
        expected.add("roberta.encoder.layer." + layer + "." + w + ".bias");
      }
    }
    SafeTensors file = SafeTensors.read(out.resolve("model.safetensors"));
    assertEquals(expected, new java.util.TreeSet<>(file.tensors().keySet()));
    assertEquals(java.util.List.of(1L, 8L), java.util.Arrays.stream(file.tensor("classifier.weight").shape())
        .boxed().toList());
    HfConfig config = HfConfig.read(out.resolve("config.json"));
    assertEquals("RobertaForMultipleChoice", config.architecture());
    RobertaForMultipleChoice loaded = RobertaForMultipleChoice.load(out, k);
    Batch batch = Batch.pad(new int[][] {{0, 7, 2, 2, 5, 2}, {0, 7, 2, 2, 6, 9, 2}}, 1);
    assertArrayEquals(k.toFloats(choice.logits(batch)), k.toFloats(loaded.logits(batch)));
    assertEquals(choice.loss(batch, new int[] {1}), loaded.loss(batch, new int[] {1}), 1e-7);
  }

  @Test
  void classifierStartsFromAMaskedLmCheckpointAndKeepsLabelNames() throws Exception {
    RobertaForMaskedLM pretrained = new RobertaForMaskedLM(spec(LayerSharing.NONE), k);
    pretrained.initialize(2);
    pretrained.save(dir);
    RobertaForSequenceClassification classifier =
        RobertaForSequenceClassification.fromPretrained(dir, 3, 7, k);
    String name = "roberta.encoder.layer.2.output.dense.weight";
    assertArrayEquals(k.toFloats(pretrained.parameters().get(name).value()),
        k.toFloats(classifier.parameters().get(name).value()));
    Path out = dir.resolve("classifier");
    classifier.save(out);
    String config = Files.readString(out.resolve("config.json"));
    assertTrue(config.contains("RobertaForSequenceClassification"), config);
    assertEquals(3, HfConfig.read(out.resolve("config.json")).numLabels());
  }
}
