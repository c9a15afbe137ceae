package io.roberta.pipelines.finetune;

import io.roberta.engine.data.Seeds;
import io.roberta.engine.model.Parameters;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.engine.train.TrainingDivergedException;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.OptimizerSpec;
import io.roberta.spec.ScheduleSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The fine-tuning loop: {@code epochs} passes over the training features in an order drawn per
 * epoch from the seed, batches of {@code batchSize}, AdamW (decay skipped for biases and layer
 * norms) on a linear warm-up over {@code warmupRatio} of the steps then linear decay to zero.
 *
 * <pre>{@code
 * Finetuner.Result r = new Finetuner(head, spec, System.err::println).train(features);
 * head.model().save(outDir);
 * }</pre>
 */
public final class Finetuner {
  private final TaskHead head;
  private final FinetuneSpec spec;
  private final Consumer<String> progress;

  /** Mean loss of every optimizer step, in order. */
  public record Result(int steps, List<Double> losses, double seconds) {
    /** Mean loss of the first (or last) {@code n} steps. */
    public double meanOfFirst(int n) {
      return losses.subList(0, Math.min(n, losses.size())).stream().mapToDouble(d -> d).average().orElse(Double.NaN);
    }

    public double meanOfLast(int n) {
      return losses.subList(Math.max(0, losses.size() - n), losses.size()).stream().mapToDouble(d -> d).average().orElse(Double.NaN);
    }
  }

  public Finetuner(TaskHead head, FinetuneSpec spec, Consumer<String> progress) {
    if (head.head() != spec.head()) {
      throw new IllegalArgumentException("finetune[" + spec.task() + "].head = " + spec.head()
          + " but the model has a " + head.head() + " head");
    }
    this.head = head;
    this.spec = spec;
    this.progress = progress;
  }

  /** The schedule of {@code steps} optimizer steps with this spec's peak rate and warm-up ratio. */
  public static ScheduleSpec schedule(FinetuneSpec spec, int steps) {
    int warmup = (int) Math.floor(spec.warmupRatio() * steps);
    return new ScheduleSpec(spec.learningRate(), Math.min(warmup, steps - 1), steps);
  }

  public Result train(List<Feature> train) {
    if (train.isEmpty()) {
      throw new IllegalArgumentException("finetune[" + spec.task() + "]: no training examples");
    }
    int b = spec.batchSize();
    int perEpoch = (train.size() + b - 1) / b;
    int total = perEpoch * spec.epochs();
    ScheduleSpec schedule = schedule(spec, total);
    OptimizerSpec o = spec.optimizer();
    try (AdamW adam = new AdamW(spec.learningRate(), o.beta1(), o.beta2(), o.epsilon(), o.weightDecay())) {
      return train(train, adam, total, schedule);
    }
  }

  private Result train(List<Feature> train, AdamW adam, int total, ScheduleSpec schedule) {
    int b = spec.batchSize();
    OptimizerSpec o = spec.optimizer();
    Parameters params = head.model().parameters();
    List<Double> losses = new ArrayList<>(total);
    long started = System.nanoTime();
    long lastReport = started;
    int step = 0;
    for (int epoch = 0; epoch < spec.epochs(); epoch++) {
      int[] order = shuffled(train.size(), Seeds.derive(spec.seed(), epoch, 0));
      for (int from = 0; from < order.length; from += b) {
        List<Feature> batch = new ArrayList<>(b);
        for (int i = from; i < Math.min(order.length, from + b); i++) {
          batch.add(train.get(order[i]));
        }
        params.zeroGrads();
        double loss = head.trainStep(batch, RunMode.training(Seeds.derive(spec.seed(), step, 1)));
        // the norm is checked too: a finite loss with an infinite gradient would put NaN in every
        // weight through AdamW, and every later loss and score would be NaN
        double norm = o.gradClipNorm() > 0
            ? GradientClipping.clipGlobalNorm(params, o.gradClipNorm())
            : GradientClipping.globalNorm(params);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
          throw new TrainingDivergedException("fine-tuning " + spec.task() + " diverged at step " + (step + 1)
              + ": loss = " + loss + ", gradient norm = " + norm + "; stopped before the optimizer step."
              + " Lower finetune.learningRate (" + spec.learningRate() + ")"
              + (o.gradClipNorm() > 0 ? "" : " or enable gradient clipping"));
        }
        // 1-based, as the pretrainer: the first update moves; gradients are already clipped above
        head.model().optimizerStep(adam, schedule.learningRate(step + 1), 0);
        losses.add(loss);
        step++;
        long now = System.nanoTime();
        if (now - lastReport > 10_000_000_000L || step == total) {
          lastReport = now;
          double seconds = (now - started) / 1e9;
          double perStep = seconds / step;
          progress.accept(String.format(Locale.ROOT,
              "finetune %s: step %d/%d %3.0f%%, epoch %d, loss %.4f, %.1f examples/s, %.0f s, ETA %.0f s",
              spec.task(), step, total, 100.0 * step / total, epoch + 1, loss, step * (double) b / seconds, seconds,
              perStep * (total - step)));
        }
      }
    }
    return new Result(step, losses, (System.nanoTime() - started) / 1e9);
  }

  private static int[] shuffled(int n, long seed) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }
}
