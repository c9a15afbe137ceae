package io.roberta.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import org.junit.jupiter.api.Test;

/** Presets carry the exact shapes of the Hugging Face checkpoints they name. */
class PresetsTest {
  @Test
  void baseIsRobertaBase() {
    ModelSpec m = Roberta.base().build();
    assertEquals(new ModelSpec(50265, 768, 12, 12, 3072, 514, 1, 1e-5, 0.1, 0.1, 0.02,
        new SpecialTokens(0, 1, 2, 3, 50264), LayerSharing.NONE), m);
    assertEquals(512, m.maxSequenceLength());
    assertEquals(124_697_433L, m.parameterCount());
  }

  @Test
  void largeIsRobertaLarge() {
    ModelSpec m = Roberta.large().build();
    assertEquals(1024, m.hiddenSize());
    assertEquals(24, m.numLayers());
    assertEquals(16, m.numHeads());
    assertEquals(4096, m.intermediateSize());
    assertEquals(355_412_057L, m.parameterCount());
  }

  @Test
  void xlmrHasTheSentencePieceVocabulary() {
    ModelSpec m = Roberta.xlmrBase().build();
    assertEquals(250_002, m.vocabSize());
    assertEquals(250_001, m.specialTokens().mask());
    // HF XLMRobertaForMaskedLM (xlm-roberta-base): 278,295,186 parameters.
    assertEquals(278_295_186L, m.parameterCount());
  }

  @Test
  void sharedBaseReusesOneLayer() {
    ModelSpec m = Roberta.sharedBase().build();
    assertEquals(LayerSharing.ALL_LAYERS, m.layerSharing());
    assertEquals(1, m.distinctLayers());
    assertEquals(12, m.numLayers());
  }

  @Test
  void tinyFitsTwoCores() {
    ModelSpec m = Roberta.tiny().build();
    assertEquals(128, m.maxSequenceLength());
    assertEquals(8_000, m.vocabSize());
    assertEquals(7_999, m.specialTokens().mask());
  }

  @Test
  void maxSequenceLengthSetsPositionsWithThePaddingOffset() {
    assertEquals(258, Roberta.tiny().maxSequenceLength(256).build().maxPositions());
  }

  @Test
  void raceUsesFairseqsHyperParameters() {
    io.roberta.spec.FinetuneSpec race = Finetune.race().build();
    assertEquals("race", race.task());
    assertEquals(io.roberta.spec.FinetuneSpec.Head.MULTIPLE_CHOICE, race.head());
    assertEquals(4, race.numLabels());
    assertEquals(1e-5, race.learningRate());
    assertEquals(5, race.epochs());
    assertEquals(16, race.batchSize());
    assertEquals(512, race.maxSequenceLength());
    assertEquals(0.01, race.optimizer().weightDecay());
    assertEquals(0.0, race.optimizer().gradClipNorm());
    io.roberta.spec.SpecException e = org.junit.jupiter.api.Assertions.assertThrows(io.roberta.spec.SpecException.class,
        () -> Finetune.multipleChoice("mc", 1).build());
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("number of choices"), e.getMessage());
  }
}
