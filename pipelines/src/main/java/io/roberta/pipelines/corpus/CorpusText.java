package io.roberta.pipelines.corpus;

import io.roberta.spec.CorpusSpec;
import io.roberta.spec.SourceSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * The corpus' documents as cleaned text, for the tokenizer stage to learn from: the recipe's
 * sources and normalization, nothing else. The tokenizer stage's fingerprint covers exactly
 * those (see {@code Plan}), so length filters, deduplication, weights and the split stay out:
 * changing them must not leave a stale tokenizer behind.
 *
 * <pre>{@code
 * pipeline.apply("CorpusText", CorpusText.of(recipe.corpus()))
 *     .apply("TrainTokenizer", TrainTokenizer.from(recipe.tokenizer()).writingTo(dir));
 * }</pre>
 */
public final class CorpusText extends PTransform<PBegin, PCollection<String>> {
  private static final long serialVersionUID = 1L;

  private final transient CorpusSpec spec;
  private final transient List<Source> sources;

  private CorpusText(CorpusSpec spec, List<Source> sources) {
    this.spec = spec;
    this.sources = sources;
  }

  /** Builds the sources from the registry and checks their inputs now, before any pipeline runs. */
  public static CorpusText of(CorpusSpec spec) {
    List<Source> sources = new ArrayList<>();
    for (SourceSpec s : spec.sources()) {
      Source source = SourceRegistry.create(s);
      source.checkInputs();
      sources.add(source);
    }
    return new CorpusText(spec, sources);
  }

  @Override
  public PCollection<String> expand(PBegin begin) {
    begin.getPipeline().getCoderRegistry().registerCoderForClass(Document.class, Document.DocumentCoder.of());
    PCollectionList<Document> read = PCollectionList.empty(begin.getPipeline());
    for (Source s : sources) {
      read = read.and(begin.apply(s.getName(), s).setCoder(Document.DocumentCoder.of()));
    }
    return read.apply("AllSources", Flatten.pCollections())
        .setCoder(Document.DocumentCoder.of())
        .apply("Clean", ParDo.of(new CleanText(new TextCleaner(spec.normalization()))))
        .setCoder(StringUtf8Coder.of());
  }

  static final class CleanText extends DoFn<Document, String> {
    private final TextCleaner cleaner;

    CleanText(TextCleaner cleaner) {
      this.cleaner = cleaner;
    }

    @ProcessElement
    public void process(@Element Document d, OutputReceiver<String> out) {
      if (d.problem() != null) {
        return;
      }
      String text = cleaner.clean(d.text());
      if (!text.isBlank()) {
        out.output(text);
      }
    }
  }
}
