package io.roberta.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.pipelines.corpus.CorpusText;
import io.roberta.runners.cli.RecipeLoader;
import io.roberta.spec.Recipe;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;

/**
 * For {@code bench/corpus.sh}: writes a recipe's cleaned corpus documents (what the corpus stage
 * tokenizes) as JSON strings, one per line, so another tokenizer can encode exactly the same text.
 *
 * <pre>{@code java -cp examples/target/roberta.jar io.roberta.examples.DumpCorpusText TinyBrown texts.jsonl}</pre>
 */
public final class DumpCorpusText {
  private DumpCorpusText() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: DumpCorpusText RECIPE OUT.jsonl");
      System.exit(2);
    }
    Recipe recipe = RecipeLoader.load(args[0]);
    Path out = Path.of(args[1]);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply("CorpusText", CorpusText.of(recipe.corpus()))
        .apply("AsJson", ParDo.of(new AsJson()))
        .apply("All", Combine.globally((SerializableFunction<Iterable<String>, String>) DumpCorpusText::join))
        .apply("Write", ParDo.of(new WriteFile(out.toAbsolutePath().toString())));
    p.run().waitUntilFinish();
  }

  /** Associative, as Combine needs: partial results are joined again. */
  private static String join(Iterable<String> parts) {
    List<String> nonEmpty = new ArrayList<>();
    parts.forEach(s -> {
      if (!s.isEmpty()) {
        nonEmpty.add(s);
      }
    });
    return String.join("\n", nonEmpty);
  }

  static final class AsJson extends DoFn<String, String> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ProcessElement
    public void process(@Element String text, OutputReceiver<String> out) throws IOException {
      out.output(JSON.writeValueAsString(text));
    }
  }

  static final class WriteFile extends DoFn<String, Void> {
    private final String path;

    WriteFile(String path) {
      this.path = path;
    }

    @ProcessElement
    public void process(@Element String lines) throws IOException {
      try (BufferedWriter w = Files.newBufferedWriter(Path.of(path), StandardCharsets.UTF_8)) {
        w.write(lines);
        w.write('\n');
      }
    }
  }
}
