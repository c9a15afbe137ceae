package io.roberta.pipelines.tokenizer;

import java.util.List;

/**
 * What {@link BpeTrainer} learned: the vocabulary in id order ({@code <s>}, {@code <pad>}, {@code
 * </s>}, {@code <unk>}, 256 bytes, merged tokens, {@code <mask>}) and the merges in the order they
 * were learned, each a pair of tokens as the vocabulary spells them.
 *
 * @param vocab tokens by id
 * @param merges learned merges, first to last
 * @param requestedVocabSize the vocabulary size asked for
 * @param minFrequency the minimum pair count asked for
 * @param distinctWords distinct pre-tokens in the corpus
 * @param totalWords pre-tokens in the corpus, repeats included
 */
public record BpeModel(
    List<String> vocab,
    List<String[]> merges,
    int requestedVocabSize,
    long minFrequency,
    long distinctWords,
    long totalWords) {

  public BpeModel {
    vocab = List.copyOf(vocab);
    merges = List.copyOf(merges);
  }

  public int vocabSize() {
    return vocab.size();
  }

  /** True when the corpus ran out of pairs (or of pairs frequent enough) before the size asked. */
  public boolean isSmallerThanRequested() {
    return vocab.size() < requestedVocabSize;
  }

  /** A one-line explanation for a vocabulary smaller than asked, or empty. */
  public String shortfallMessage() {
    if (!isSmallerThanRequested()) {
      return "";
    }
    return "The corpus supports a vocabulary of only " + vocab.size() + " tokens ("
        + distinctWords + " distinct words"
        + (minFrequency > 1 ? ", no pair left occurring at least " + minFrequency + " times" : "")
        + "), smaller than the " + requestedVocabSize + " asked for: the tokenizer has "
        + vocab.size() + " tokens. Use more text, a smaller vocabulary size"
        + (minFrequency > 1 ? " or a lower minimum frequency" : "") + ".";
  }
}
