package io.roberta.engine.data;

import io.roberta.spec.MaskingSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * RoBERTa's dynamic masking. For each block and epoch it chooses {@code probability} of the
 * maskable positions (not {@code <s>}, {@code </s>}, {@code <pad>} or {@code <mask>}), then
 * replaces {@code maskFraction} of them by {@code <mask>}, {@code randomFraction} by a random
 * non-special token, and keeps the rest; the labels hold the original ids at chosen positions
 * and {@value #IGNORE} elsewhere.
 *
 * <p>As in fairseq, the number chosen is {@code floor(probability * n + u)} with {@code u}
 * uniform in [0, 1), so its mean is exactly {@code probability * n}; positions are drawn without
 * replacement. Every draw comes from {@link Seeds#derive}(seed, epoch, blockIndex): masks are a
 * pure function of those three numbers and never stored.
 *
 * <pre>{@code
 * DynamicMasker masker = new DynamicMasker(MaskingSpec.roberta(17), SpecialTokens.roberta(8000), 8000);
 * DynamicMasker.Masked m = masker.mask(blockIds, epoch, blockIndex);
 * }</pre>
 */
public final class DynamicMasker {
  /** The label of positions that do not count in the loss (PyTorch's ignore_index). */
  public static final int IGNORE = -100;

  private final MaskingSpec spec;
  private final SpecialTokens ids;
  private final int vocabSize;
  private final int[] randomPool;

  /** The corrupted input and its labels, both {@code [T]}. */
  public record Masked(int[] inputIds, int[] labels) {
    public int maskedCount() {
      int n = 0;
      for (int l : labels) {
        if (l != IGNORE) {
          n++;
        }
      }
      return n;
    }
  }

  public DynamicMasker(MaskingSpec spec, SpecialTokens ids, int vocabSize) {
    if (ids.maxId() >= vocabSize) {
      throw new IllegalArgumentException(
          "vocabSize = " + vocabSize + " is too small for the special token ids " + ids.asMap());
    }
    this.spec = spec;
    this.ids = ids;
    this.vocabSize = vocabSize;
    int[] pool = new int[vocabSize];
    int n = 0;
    for (int t = 0; t < vocabSize; t++) {
      if (!isSpecial(t) && t != ids.unk()) {
        pool[n++] = t;
      }
    }
    this.randomPool = Arrays.copyOf(pool, n);
  }

  /** Masks one block; {@code block} is not modified. */
  public Masked mask(int[] block, long epoch, long blockIndex) {
    SplittableRandom rng = new SplittableRandom(Seeds.derive(spec.seed(), epoch, blockIndex));
    int[] input = block.clone();
    int[] labels = new int[block.length];
    Arrays.fill(labels, IGNORE);

    int[] candidates = new int[block.length];
    int n = 0;
    for (int i = 0; i < block.length; i++) {
      int t = block[i];
      if (t < 0 || t >= vocabSize) {
        throw new IllegalArgumentException(
            "token id " + t + " at position " + i + " of block " + blockIndex + " is outside the vocabulary [0, " + vocabSize + ")");
      }
      if (!isSpecial(t)) {
        candidates[n++] = i;
      }
    }
    int count = (int) Math.floor(spec.probability() * n + rng.nextDouble());
    count = Math.min(count, n);
    // Partial Fisher-Yates: the first `count` entries become a uniform sample without replacement.
    for (int k = 0; k < count; k++) {
      int j = k + rng.nextInt(n - k);
      int tmp = candidates[k];
      candidates[k] = candidates[j];
      candidates[j] = tmp;
      int pos = candidates[k];
      labels[pos] = block[pos];
      double r = rng.nextDouble();
      if (r < spec.maskFraction()) {
        input[pos] = ids.mask();
      } else if (r < spec.maskFraction() + spec.randomFraction() && randomPool.length > 0) {
        input[pos] = randomPool[rng.nextInt(randomPool.length)];
      }
    }
    return new Masked(input, labels);
  }

  private boolean isSpecial(int t) {
    return t == ids.bos() || t == ids.eos() || t == ids.pad() || t == ids.mask();
  }
}
