package io.roberta.engine.fillmask;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.Encoder;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.tokenizer.Encoding;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hugging Face's {@code fill-mask} pipeline: text with {@code <mask>} in, for each mask the
 * {@code k} most likely tokens with their probabilities out. Not thread safe (the tokenizer is
 * not): one instance per thread.
 *
 * <pre>{@code
 * try (FillMask fill = FillMask.load(Path.of("out/model"), new Nd4jKernels(KernelPrecision.FP32))) {
 *   for (FillMask.Prediction p : fill.predict("The capital of France is <mask>.", 5).get(0)) {
 *     System.out.println(p.token() + " " + p.probability());
 *   }
 * }
 * }</pre>
 */
public final class FillMask implements AutoCloseable {
  public static final String MASK = "<mask>";

  /** One candidate for a mask: its id, its text as decoded alone, and its probability. */
  public record Prediction(int tokenId, String token, double probability) {}

  private final RobertaForMaskedLM model;
  private final RobertaTokenizer tokenizer;
  private final int maskId;

  public FillMask(RobertaForMaskedLM model, RobertaTokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.maskId = tokenizer.tokenToId(MASK);
    int modelMask = model.spec().specialTokens().mask();
    if (maskId != modelMask) {
      throw new IllegalArgumentException("the tokenizer's " + MASK + " is id " + maskId
          + " but the model's config says " + modelMask + " (tokenizer " + tokenizer.source()
          + ")");
    }
    if (tokenizer.vocabSize() > model.spec().vocabSize()) {
      throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
          + " tokens, more than the model's vocab_size " + model.spec().vocabSize());
    }
  }

  /** Loads the model ({@code config.json}, {@code model.safetensors}) and {@code tokenizer.json} from one directory. */
  public static FillMask load(Path modelDir, Kernels kernels) throws IOException {
    RobertaForMaskedLM model = RobertaForMaskedLM.loadForInference(modelDir, kernels);
    RobertaTokenizer tokenizer = null;
    try {
      tokenizer = RobertaTokenizer.load(modelDir);
      return new FillMask(model, tokenizer);
    } catch (RuntimeException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      model.close();
      throw e;
    }
  }

  /**
   * The {@code topK} most likely tokens for every {@code <mask>} in {@code text}, in the order
   * the masks appear, each list sorted by falling probability.
   */
  public List<List<Prediction>> predict(String text, int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("topK = " + topK + ", must be >= 1");
    }
    Encoding encoding = tokenizer.encode(text);
    int[] ids = encoding.ids();
    int[] maskRows = java.util.stream.IntStream.range(0, ids.length)
        .filter(i -> ids[i] == maskId)
        .toArray();
    if (maskRows.length == 0) {
      throw new IllegalArgumentException("no " + MASK + " in the text: \"" + text + "\"");
    }
    int longest = model.spec().maxSequenceLength();
    if (ids.length > longest) {
      throw new IllegalArgumentException("the text is " + ids.length
          + " tokens long; this model reads at most " + longest);
    }
    Kernels k = model.kernels();
    List<List<Prediction>> out = new ArrayList<>();
    try (Kernels.Scope scope = k.scope()) {
      Batch batch = new Batch(1, ids.length, ids, null, null);
      Encoder.Forward f = model.encode(batch, RunMode.inference());
      float[] logits = k.toFloats(model.logits(f, maskRows)); // [masks, V]
      int vocab = model.spec().vocabSize();
      for (int m = 0; m < maskRows.length; m++) {
        out.add(top(Arrays.copyOfRange(logits, m * vocab, (m + 1) * vocab), topK));
      }
    }
    return out;
  }

  private List<Prediction> top(float[] logits, int topK) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    Integer[] order = new Integer[logits.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Float.compare(logits[y], logits[x]));
    List<Prediction> out = new ArrayList<>();
    for (int i = 0; i < Math.min(topK, order.length); i++) {
      int id = order[i];
      out.add(new Prediction(id, tokenizer.decode(new int[] {id}, false),
          Math.exp(logits[id] - max) / sum));
    }
    return out;
  }

  /** Closes the tokenizer and frees the model's weights (not its kernels, which the caller owns). */
  @Override
  public void close() {
    tokenizer.close();
    model.close();
  }
}
