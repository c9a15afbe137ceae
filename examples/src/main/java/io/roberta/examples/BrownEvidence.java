package io.roberta.examples;

import io.roberta.dsl.Finetune;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.Roberta;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.engine.train.HoldoutScore;
import io.roberta.engine.train.Pretrainer;
import io.roberta.engine.train.StepMetrics;
import io.roberta.pipelines.eval.EvalTask;
import io.roberta.pipelines.eval.EvaluateShards;
import io.roberta.pipelines.finetune.FinetuneRun;
import io.roberta.pipelines.tasks.BrownTasks;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.runners.cli.RobertaCli;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.SpecialTokens;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;

/**
 * The evidence that pretraining helps: pretrain a small model by masked LM on the Brown
 * <em>training</em> files only, then fine-tune it and a randomly initialised model of the same
 * shape on Brown genre and part-of-speech with the same budget, and score both on the test files
 * with {@link EvaluateShards}. Until the recipe stages are joined this drives the engine directly
 * (tokenizer via {@code roberta tokenizer train}, blocks packed here).
 *
 * <pre>{@code
 * java -cp ... io.roberta.examples.BrownEvidence BROWN WORK PRETRAIN_STEPS TRAIN_EXAMPLES TEST_EXAMPLES EPOCHS [PRETRAINED_HF_DIR]
 * }</pre>
 */
public final class BrownEvidence {
  static final int BLOCK = 64;

  public static void main(String[] args) throws Exception {
    Path brown = Path.of(args.length > 0 ? args[0] : "../shared/data/brown");
    Path work = Files.createDirectories(Path.of(args.length > 1 ? args[1] : "target/evidence"));
    int pretrainSteps = args.length > 2 ? Integer.parseInt(args[2]) : 400;
    int trainExamples = args.length > 3 ? Integer.parseInt(args[3]) : 1200;
    int testExamples = args.length > 4 ? Integer.parseInt(args[4]) : 600;
    int epochs = args.length > 5 ? Integer.parseInt(args[5]) : 3;
    long t0 = System.nanoTime();
    TaskData trainPos = BrownTasks.partOfSpeech(brown, BrownTasks.Split.TRAIN);
    Map<String, String> rows = new LinkedHashMap<>();
    Path pretrained;
    ModelSpec shape;
    if (args.length > 6) {
      // an existing pretrained model (e.g. the TinyBrown example's hf/ export)
      pretrained = Path.of(args[6]);
      shape = HfConfig.read(pretrained.resolve("config.json")).spec();
      rows.put("pretrained model", pretrained.toString());
    } else {
      pretrained = work.resolve("pretrained");
      shape = pretrain(brown, work, trainPos, pretrainSteps, rows, t0);
    }
    finetuneBoth(brown, work, trainPos, pretrained, shape, trainExamples, testExamples, epochs, rows, t0);
    StringBuilder md = new StringBuilder("# Brown evidence: pretrained vs random init, same budget\n\n");
    md.append(String.format(Locale.ROOT, "pretraining %s; fine-tuning %d epochs on %d train examples, scored on %d test examples%n%n",
        args.length > 6 ? "from " + pretrained : pretrainSteps + " steps x 32 blocks x " + BLOCK + " tokens (Brown training files only)",
        epochs, trainExamples, testExamples));
    rows.forEach((k, v) -> md.append("* ").append(k).append(": ").append(v).append('\n'));
    Files.writeString(work.resolve("evidence.md"), md.toString());
    System.out.println(md);
    log(t0, "done");
  }

  static ModelSpec pretrain(Path brown, Path work, TaskData trainPos, int pretrainSteps, Map<String, String> rows, long t0)
      throws Exception {
    // 1. tokenizer from the training files' words
    Path text = Files.createDirectories(work.resolve("text"));
    List<String> sentences = trainPos.examples().stream().map(e -> String.join(" ", e.words())).toList();
    Files.write(text.resolve("brown-train.txt"), sentences);
    Path tokDir = work.resolve("tokenizer");
    if (!Files.exists(tokDir.resolve("tokenizer.json"))) {
      int status = RobertaCli.run("tokenizer", "train", "--input", text + "/*.txt", "--vocab-size", "4000", "--out", tokDir.toString());
      if (status != 0) {
        throw new IllegalStateException("tokenizer training failed");
      }
    }
    RobertaTokenizer tokenizer = RobertaTokenizer.load(tokDir);
    int vocab = tokenizer.vocabSize();
    ModelSpec shape = Roberta.custom(vocab, 64, 2, 4, 256, BLOCK + 2).specialTokens(SpecialTokens.roberta(vocab)).build();
    log(t0, "tokenizer: " + vocab + " ids; model " + shape);

    // 2. pack training sentences into blocks of BLOCK tokens: <s> ... </s>
    Path shard = work.resolve("corpus/train-00000.bin");
    Path holdout = work.resolve("corpus/holdout-00000.bin");
    List<int[]> blocks = pack(tokenizer, sentences, shape.specialTokens());
    Collections.shuffle(blocks, new Random(1));
    int holdoutBlocks = Math.max(8, blocks.size() / 50);
    write(holdout, blocks.subList(0, holdoutBlocks));
    write(shard, blocks.subList(holdoutBlocks, blocks.size()));
    log(t0, blocks.size() + " blocks of " + BLOCK + " tokens (" + holdoutBlocks + " held out)");

    // 3. pretrain
    Path pretrained = work.resolve("pretrained");
    PretrainSpec pre = Pretrain.mlm().batchSize(32).microBatch(32).peakLearningRate(1e-3)
        .warmupSteps(Math.max(1, pretrainSteps / 10)).totalSteps(pretrainSteps).checkpointEvery(pretrainSteps).seed(1).build();
    try (TokenShards train = TokenShards.open(List.of(shard), TokenShards.Dtype.UINT16, BLOCK);
        TokenShards held = TokenShards.open(List.of(holdout), TokenShards.Dtype.UINT16, BLOCK);
        Pretrainer trainer = new Pretrainer(shape, pre, train, work.resolve("pretrain"),
            new Nd4jKernels(KernelPrecision.FP32), "evidence-" + pretrainSteps)) {
      trainer.resume(msg -> log(t0, msg));
      HoldoutScore before = trainer.evaluate(held, holdoutBlocks, 32);
      trainer.train(pretrainSteps, new Pretrainer.Listener() {
        @Override
        public void onStep(StepMetrics m, long total) {
          if (m.step() % 25 == 0 || m.step() == total) {
            log(t0, String.format(Locale.ROOT, "pretrain step %d/%d loss %.3f acc %.3f", m.step(), total, m.loss(), m.accuracy()));
          }
        }
      });
      HoldoutScore after = trainer.evaluate(held, holdoutBlocks, 32);
      trainer.exportHuggingFace(pretrained);
      Files.copy(tokenizer.source(), pretrained.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      rows.put("masked-LM holdout", String.format(Locale.ROOT,
          "loss %.3f -> %.3f, accuracy %.3f -> %.3f (best constant guess %.3f)",
          before.loss(), after.loss(), before.accuracy(), after.accuracy(), after.baselineAccuracy()));
      log(t0, rows.get("masked-LM holdout"));
    }
    tokenizer.close();
    return shape;
  }

  static void finetuneBoth(Path brown, Path work, TaskData trainPos, Path pretrained, ModelSpec shape, int trainExamples,
      int testExamples, int epochs, Map<String, String> rows, long t0) throws Exception {
    // 4. fine-tune both starts on both tasks with the same budget, evaluate with EvaluateShards
    TaskData genreTrain = sample(BrownTasks.genre(brown, BrownTasks.Split.TRAIN, 4), trainExamples, 2);
    TaskData genreTest = sample(BrownTasks.genre(brown, BrownTasks.Split.TEST, 4), testExamples, 3);
    TaskData posTrain = sample(trainPos, trainExamples, 4);
    TaskData posTest = sample(BrownTasks.partOfSpeech(brown, BrownTasks.Split.TEST), testExamples, 5);
    FinetuneSpec genre = Finetune.classification("brown-genre", BrownTasks.GENRES.size()).epochs(epochs).batchSize(16)
        .learningRate(5e-4).maxSequenceLength(BLOCK).seed(7).build();
    FinetuneSpec pos = Finetune.tokenClassification("brown-pos", BrownTasks.POS_TAGS.size()).epochs(epochs).batchSize(16)
        .learningRate(5e-4).maxSequenceLength(BLOCK).seed(7).build();
    for (String start : new String[] {"pretrained", "random"}) {
      for (Object[] t : new Object[][] {{genre, genreTrain, genreTest, "accuracy"}, {pos, posTrain, posTest, "token_accuracy"}}) {
        FinetuneSpec spec = (FinetuneSpec) t[0];
        Path out = work.resolve(start + "-" + spec.task());
        FinetuneRun.Result r = start.equals("pretrained")
            ? FinetuneRun.fromPretrained(spec, (TaskData) t[1], pretrained, out, msg -> log(t0, msg))
            : FinetuneRun.fromRandom(spec, (TaskData) t[1], shape, pretrained, out, msg -> log(t0, msg));
        Path report = work.resolve("eval-" + start + "-" + spec.task());
        evaluate(out, (TaskData) t[2], report);
        String md = Files.readString(report.resolve("report.md"));
        String metric = (String) t[3];
        String value = md.lines().filter(l -> l.startsWith("| " + metric + " |")).findFirst().orElse("?");
        rows.put(start + " " + spec.task(), value + String.format(Locale.ROOT, " (train loss %.3f -> %.3f, %d steps)",
            r.training().meanOfFirst(10), r.training().meanOfLast(10), r.training().steps()));
        log(t0, start + " " + spec.task() + ": " + rows.get(start + " " + spec.task()));
      }
    }
  }

  static void evaluate(Path model, TaskData test, Path out) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2").create());
    p.apply("ReadExamples", Create.of(test.examples()).withCoder(SerializableCoder.of(TaskExample.class)))
        .apply("Evaluate", EvaluateShards.of(io.roberta.pipelines.stage.FolderRef.of(model.toString()), EvalTask.of(test, BLOCK)).shards(2).batchSize(32)
            .writeTo(out.toString()));
    p.run().waitUntilFinish();
  }

  /** {@code n} examples drawn without replacement from {@code seed}, in their original order. */
  static TaskData sample(TaskData data, int n, long seed) {
    List<TaskExample> all = new ArrayList<>(data.examples());
    Collections.shuffle(all, new Random(seed));
    List<TaskExample> picked = new ArrayList<>(all.subList(0, Math.min(n, all.size())));
    picked.sort((a, b) -> Long.compare(a.index(), b.index()));
    return new TaskData(data.task(), data.head(), data.labels(), picked, data.rejected());
  }

  static List<int[]> pack(RobertaTokenizer tokenizer, List<String> sentences, SpecialTokens ids) {
    List<int[]> blocks = new ArrayList<>();
    int[] block = new int[BLOCK];
    int at = 1;
    block[0] = ids.bos();
    for (String s : sentences) {
      int[] e = tokenizer.encode(s).ids();
      for (int i = 1; i < e.length - 1; i++) {
        block[at++] = e[i];
        if (at == BLOCK - 1) {
          block[at] = ids.eos();
          blocks.add(block);
          block = new int[BLOCK];
          block[0] = ids.bos();
          at = 1;
        }
      }
    }
    return blocks;
  }

  static void write(Path file, List<int[]> blocks) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(blocks.size() * BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int[] b : blocks) {
      for (int id : b) {
        buf.putShort((short) id);
      }
    }
    Files.createDirectories(file.getParent());
    Files.write(file, buf.array());
  }

  static void log(long t0, String msg) {
    System.err.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, msg);
  }
}
