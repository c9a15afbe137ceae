package io.roberta.engine.train;

import java.nio.file.Path;

/**
 * A training process for {@link ProcessKillResumeTest}: trains the tiny run in {@code args[0]},
 * reports each step on standard output, and after step {@code args[1]} blocks on standard input
 * with the optimizer mid-run, waiting to be killed.
 */
public final class TrainUntilKilled {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long waitAfter = Long.parseLong(args[1]);
    var spec = TinyRun.pretrain(8, 4, 8, 4, 1e-3);
    Pretrainer t = TinyRun.trainer(TinyRun.model(0.1), spec, dir.resolve("train-0.bin"), dir.resolve("run"));
    t.resume(msg -> {});
    t.train(8, new Pretrainer.Listener() {
      @Override
      public void onStep(StepMetrics m, long total) {
        System.out.println("STEP " + m.step());
        if (m.step() == waitAfter) {
          System.out.println("WAITING");
          System.out.flush();
          try {
            System.in.read(); // never answered: the test kills this process here
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      }

      @Override
      public void onCheckpoint(long step, Path d) {
        System.out.println("CHECKPOINT " + step);
      }
    });
    System.out.println("FINISHED");
  }
}
