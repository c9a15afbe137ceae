package io.roberta.spec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids of RoBERTa's special tokens. Byte-level BPE as trained here and {@code roberta-base}
 * use {@code <s>=0, <pad>=1, </s>=2, <unk>=3} and {@code <mask>} last.
 *
 * <pre>{@code SpecialTokens ids = SpecialTokens.roberta(50265); // mask = 50264}</pre>
 */
public record SpecialTokens(int bos, int pad, int eos, int unk, int mask) {

  public SpecialTokens {
    Map<String, Integer> ids = asMap(bos, pad, eos, unk, mask);
    Map<Integer, String> seen = new LinkedHashMap<>();
    for (Map.Entry<String, Integer> e : ids.entrySet()) {
      Checks.nonNegative("model.specialTokens." + e.getKey(), e.getValue());
      String other = seen.putIfAbsent(e.getValue(), e.getKey());
      if (other != null) {
        throw Checks.invalid(
            "model.specialTokens." + e.getKey(),
            e.getValue(),
            "must differ from model.specialTokens." + other + " (each special token needs its own id)");
      }
    }
  }

  /** RoBERTa's layout for a vocabulary of {@code vocabSize} tokens: mask is the last id. */
  public static SpecialTokens roberta(int vocabSize) {
    Checks.positive("model.vocabSize", vocabSize);
    if (vocabSize < 5) {
      throw Checks.invalid("model.vocabSize", vocabSize, "must be >= 5 to hold the 5 special tokens");
    }
    return new SpecialTokens(0, 1, 2, 3, vocabSize - 1);
  }

  /** The ids by name, in the order bos, pad, eos, unk, mask. */
  public Map<String, Integer> asMap() {
    return asMap(bos, pad, eos, unk, mask);
  }

  public int maxId() {
    return Math.max(Math.max(Math.max(bos, pad), Math.max(eos, unk)), mask);
  }

  private static Map<String, Integer> asMap(int bos, int pad, int eos, int unk, int mask) {
    Map<String, Integer> ids = new LinkedHashMap<>();
    ids.put("bos", bos);
    ids.put("pad", pad);
    ids.put("eos", eos);
    ids.put("unk", unk);
    ids.put("mask", mask);
    return ids;
  }
}
