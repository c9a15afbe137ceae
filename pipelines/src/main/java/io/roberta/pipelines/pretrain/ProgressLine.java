package io.roberta.pipelines.pretrain;

import io.roberta.engine.train.StepMetrics;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The console line of a training run, at most every {@code intervalSeconds} (and always for the
 * first and last step): step, loss, masked-token accuracy, learning rate, tokens/s and ETA.
 *
 * <pre>{@code step 120/600  20%  loss 5.412  acc 0.142  lr 8.7e-04  3,210 tok/s  ETA 4m12s}</pre>
 */
public final class ProgressLine {
  private final PrintStream out;
  private final double intervalSeconds;
  private final long startNanos = System.nanoTime();
  private long startStep = -1;
  private long lastPrint;

  public ProgressLine(PrintStream out, double intervalSeconds) {
    this.out = out;
    this.intervalSeconds = intervalSeconds;
  }

  public void onStep(StepMetrics m, long totalSteps) {
    onStep(m, totalSteps, "");
  }

  /** The same line after {@code label} (e.g. {@code "round 3 worker 1: "}). */
  public void onStep(StepMetrics m, long totalSteps, String label) {
    long now = System.nanoTime();
    if (startStep < 0) {
      startStep = m.step() - 1;
    }
    boolean due = (now - lastPrint) / 1e9 >= intervalSeconds || m.step() == totalSteps || m.step() == startStep + 1;
    if (!due) {
      return;
    }
    lastPrint = now;
    out.println(label + format(m, totalSteps, (now - startNanos) / 1e9, m.step() - startStep));
    out.flush();
  }

  static String format(StepMetrics m, long totalSteps, double elapsedSeconds, long stepsDone) {
    double perStep = stepsDone > 0 ? elapsedSeconds / stepsDone : 0;
    long eta = Math.round(perStep * (totalSteps - m.step()));
    return String.format(Locale.ROOT, "step %d/%d  %3.0f%%  loss %.3f  acc %.3f  lr %.1e  %,.0f tok/s  ETA %s",
        m.step(), totalSteps, 100.0 * m.step() / totalSteps, m.loss(), m.accuracy(), m.learningRate(),
        m.tokensPerSecond(), duration(eta));
  }

  static String duration(long seconds) {
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }
    if (seconds >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return seconds + "s";
  }
}
