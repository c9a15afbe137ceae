package io.roberta.engine.fillmask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.Encoder;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fill-mask on a random tiny model saved with the byte-level BPE {@code tokenizer.json} of the
 * tokenizer tests (2,156 tokens, {@code <mask>} last). Checks the pipeline against the model's own
 * full logits, not against hard-coded words.
 */
class FillMaskTest {
  static final Path TOKENIZER = Path.of("src/test/resources/tokenizer/hf-bpe/tokenizer.json");

  @TempDir Path dir;

  @Test
  void topKAreTheLargestSoftmaxEntriesOfTheMaskedRows() throws Exception {
    Kernels k = new Nd4jKernels(KernelPrecision.FP32);
    ModelSpec spec = new ModelSpec(2156, 16, 2, 2, 32, 40, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(2156), LayerSharing.NONE);
    RobertaForMaskedLM random = new RobertaForMaskedLM(spec, k);
    random.initialize(9);
    random.save(dir);
    Files.copy(TOKENIZER, dir.resolve("tokenizer.json"));

    String text = "Call me <mask>. Some years <mask> never mind how long.";
    try (FillMask fill = FillMask.load(dir, k);
        RobertaTokenizer tokenizer = RobertaTokenizer.load(dir)) {
      List<List<FillMask.Prediction>> predictions = fill.predict(text, 5);
      assertEquals(2, predictions.size(), "one list per <mask>");

      // the same numbers straight from the model's full logits
      int[] ids = tokenizer.encode(text).ids();
      RobertaForMaskedLM model = RobertaForMaskedLM.load(dir, k);
      Encoder.Forward f = model.encode(new Batch(1, ids.length, ids, null, null),
          RunMode.inference());
      float[] logits = k.toFloats(model.logits(f));
      int vocab = spec.vocabSize();
      int mask = 0;
      for (int t = 0; t < ids.length; t++) {
        if (ids[t] != spec.specialTokens().mask()) {
          continue;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
          max = Math.max(max, logits[t * vocab + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
          sum += Math.exp(logits[t * vocab + v] - max);
        }
        List<FillMask.Prediction> top = predictions.get(mask++);
        assertEquals(5, top.size());
        double previous = 1.0;
        for (FillMask.Prediction p : top) {
          double expected = Math.exp(logits[t * vocab + p.tokenId()] - max) / sum;
          assertEquals(expected, p.probability(), 1e-6);
          assertTrue(p.probability() <= previous, "sorted by falling probability");
          previous = p.probability();
          assertEquals(tokenizer.decode(new int[] {p.tokenId()}, false), p.token());
        }
        // nothing outside the top 5 beats the fifth
        double fifth = top.get(4).probability();
        long better = 0;
        for (int v = 0; v < vocab; v++) {
          if (Math.exp(logits[t * vocab + v] - max) / sum > fifth + 1e-9) {
            better++;
          }
        }
        assertTrue(better <= 4, better + " tokens beat the fifth prediction");
      }
      assertEquals(2, mask);
      assertThrows(IllegalArgumentException.class, () -> fill.predict("no mask here", 3));
    }
  }
}
