package io.roberta.runners.bench;

import io.roberta.pipelines.eval.EvalTask;
import io.roberta.pipelines.eval.EvaluateShards;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.RobertaForSequenceClassification;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.finetune.Feature;
import io.roberta.pipelines.finetune.TaskEncoder;
import io.roberta.pipelines.finetune.TaskHead;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.SpecialTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;

/**
 * Benchmark: examples/s of {@link EvaluateShards} on the DirectRunner (1 shard) against the bare
 * loop it wraps (encode, batched forward, arg-max; same batches) in the same JVM, after a warm-up
 * of each. Prints the ratio; the pipeline should cost under 15%.
 *
 * <pre>{@code java -cp ... io.roberta.pipelines.eval.EvalBench TOKENIZER_DIR [examples] [hidden] [layers]}</pre>
 */
public final class EvalBench {
  private EvalBench() {}

  public static void main(String[] args) throws Exception {
    Path tokenizerDir = Path.of(args[0]);
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 128;
    int layers = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    int batch = 32;
    Path model = Files.createTempDirectory("evalbench");
    int vocab;
    try (RobertaTokenizer t = RobertaTokenizer.load(tokenizerDir)) {
      vocab = t.vocabSize();
      Files.copy(t.source(), model.resolve("tokenizer.json"));
    }
    ModelSpec spec = new ModelSpec(vocab, hidden, layers, Math.max(1, hidden / 32), 4 * hidden, 130, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(vocab), LayerSharing.NONE);
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
        RobertaForSequenceClassification m = new RobertaForSequenceClassification(spec, 2, kernels)) {
      m.initialize(1);
      m.save(model);
    }
    List<String> labels = List.of("a", "b");
    List<TaskExample> examples = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(1);
    String[] words = {"the", "ship", "sailed", "into", "a", "grey", "morning", "and", "nobody", "spoke", "of", "whales"};
    for (int i = 0; i < n; i++) {
      StringBuilder s = new StringBuilder();
      int len = 20 + r.nextInt(60);
      for (int w = 0; w < len; w++) {
        s.append(words[r.nextInt(words.length)]).append(' ');
      }
      examples.add(TaskExample.single(i, "x" + i, s.toString().strip(), labels.get(r.nextInt(2))));
    }
    EvalTask task = new EvalTask("bench", Head.SEQUENCE_CLASSIFICATION, labels, 128, List.of());
    System.out.printf(Locale.ROOT, "EvalBench: %d examples, batch %d, model hidden %d x %d layers, vocab %d%n", n, batch, hidden, layers, vocab);
    bare(model, task, examples, batch); // warm-up
    pipeline(model, task, examples, batch);
    double bare = bare(model, task, examples, batch);
    double beam = pipeline(model, task, examples, batch);
    System.out.printf(Locale.ROOT, "bare batched forward: %.1f examples/s%n", n / bare);
    System.out.printf(Locale.ROOT, "EvaluateShards (DirectRunner, 1 shard): %.1f examples/s%n", n / beam);
    System.out.printf(Locale.ROOT, "pipeline cost: %.1f%% (time ratio %.3f)%n", 100 * (beam / bare - 1), beam / bare);
  }

  static double bare(Path model, EvalTask task, List<TaskExample> examples, int batch) throws Exception {
    long t0 = System.nanoTime();
    long right = 0;
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
        TaskHead head = TaskHead.load(model, task.head(), kernels);
        RobertaTokenizer tokenizer = RobertaTokenizer.load(model)) {
      TaskEncoder enc = new TaskEncoder(tokenizer, head.model().spec().specialTokens(), task.head(), task.labels(), task.maxSequenceLength());
      for (int from = 0; from < examples.size(); from += batch) {
        List<TaskExample> b = examples.subList(from, Math.min(examples.size(), from + batch));
        List<Feature> f = new ArrayList<>();
        b.forEach(e -> f.addAll(enc.encode(e)));
        float[][] s = head.scores(f);
        for (int i = 0; i < b.size(); i++) {
          right += task.labels().get(s[i][1] > s[i][0] ? 1 : 0).equals(b.get(i).label()) ? 1 : 0;
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (right < 0) {
      throw new AssertionError();
    }
    return seconds;
  }

  static double pipeline(Path model, EvalTask task, List<TaskExample> examples, int batch) {
    DirectOptions options = PipelineOptionsFactory.as(DirectOptions.class);
    options.setRunner(org.apache.beam.runners.direct.DirectRunner.class);
    options.setTargetParallelism(1);
    // The DirectRunner's element checks (a copy and an encode of every element) test DoFns; no
    // production runner does them, so they stay off here as in `roberta tokenizer train`.
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    long t0 = System.nanoTime();
    Pipeline p = Pipeline.create(options);
    p.apply("Examples", Create.of(examples).withCoder(SerializableCoder.of(TaskExample.class)))
        .apply("Evaluate", EvaluateShards.of(io.roberta.pipelines.stage.FolderRef.of(model.toString()), task).shards(1).batchSize(batch));
    p.run().waitUntilFinish();
    return (System.nanoTime() - t0) / 1e9;
  }
}
