package io.roberta.spec.plan;

import io.roberta.spec.CorpusSpec;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.SourceSpec;
import io.roberta.spec.TokenizerSpec;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * What a stage fingerprint sees of an input the recipe names by path (a corpus glob, a task
 * folder, a pretrained tokenizer or model): by default the path string itself; with an
 * implementation on the class path (found once through {@link ServiceLoader}; the pipelines module
 * provides one that hashes the matched files' names, sizes and contents), a content identity, so
 * that the same data reached through another path keeps every stage's fingerprint and a file
 * edited in place changes them.
 *
 * <p>{@link Plan#compile} fingerprints the specs {@link #pin pinned} by the current identity; the
 * specs themselves, and everything printed, keep the paths.
 *
 * <pre>{@code String id = InputIdentity.current().of("data/moby-dick/chapter_*.txt");}</pre>
 */
public interface InputIdentity {
  /** The path string itself: fingerprints as they were before content identities. */
  InputIdentity PATHS = path -> path;

  /** A stable string for the content {@code path} names, or {@code path} when it cannot be read. */
  String of(String path);

  /** The identity on the class path, else {@link #PATHS}. */
  static InputIdentity current() {
    return Holder.CURRENT;
  }

  /** The corpus with each source's path replaced by its identity. */
  default CorpusSpec pin(CorpusSpec corpus) {
    if (this == PATHS || corpus == null) {
      return corpus;
    }
    List<SourceSpec> sources = corpus.sources().stream()
        .map(s -> new SourceSpec(s.name(), s.format(), of(s.path()), s.unit(), s.textField(), s.provider(), s.weight()))
        .toList();
    return new CorpusSpec(sources, corpus.normalization(), corpus.minChars(), corpus.maxChars(), corpus.dedupe(),
        corpus.holdoutFraction(), corpus.packing());
  }

  /** The fine-tuning spec with its task data and starting model replaced by their identities. */
  default FinetuneSpec pin(FinetuneSpec f) {
    if (this == PATHS) {
      return f;
    }
    return new FinetuneSpec(f.task(), f.head(), f.numLabels(), f.maxSequenceLength(), f.epochs(), f.batchSize(),
        f.learningRate(), f.warmupRatio(), f.optimizer(), f.seed(), f.initFrom() == null ? null : of(f.initFrom()),
        f.data() == null ? null : of(f.data()), f.trainExamples(), f.randomInitBaseline());
  }

  /** A pretrained tokenizer's file replaced by its identity; a trained one is unchanged. */
  default TokenizerSpec pin(TokenizerSpec t) {
    if (this == PATHS || t.isTrained()) {
      return t;
    }
    // a SentencePiece path must keep its extension to be a valid spec
    String suffix = t.kind() == TokenizerSpec.Kind.SENTENCEPIECE ? ".model" : "";
    return new TokenizerSpec(t.kind(), of(t.path()) + suffix, t.vocabSize(), t.minFrequency());
  }

  /** Loaded once, on first use. */
  final class Holder {
    static final InputIdentity CURRENT = load();

    private Holder() {}

    private static InputIdentity load() {
      Iterator<InputIdentity> found = ServiceLoader.load(InputIdentity.class, InputIdentity.class.getClassLoader()).iterator();
      return found.hasNext() ? found.next() : PATHS;
    }
  }
}
