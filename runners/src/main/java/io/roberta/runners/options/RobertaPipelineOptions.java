package io.roberta.runners.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Where and how a recipe runs, never what it trains: the work directory, the runner (Beam's own
 * {@code --runner}), the accelerator of the training stage, the stop step of a time-boxed run.
 *
 * <pre>{@code roberta run TinyBrown --work-dir=work --runner=FlinkRunner --flinkMaster=[local]}</pre>
 */
public interface RobertaPipelineOptions extends PipelineOptions, io.roberta.pipelines.pretrain.BackendOptions,
    io.roberta.pipelines.pretrain.RoundsOptions {
  @Description("Folder (local or any Beam file system) where each stage writes <recipe>/<stage>/<fingerprint>/.")
  @Default.String("work")
  String getWorkDir();

  void setWorkDir(String workDir);

  @Description("Beam accelerator hint for the training stage only (e.g. type:nvidia-l4;count:1;install-nvidia-driver);"
      + " overrides the recipe's pretrain.accelerator.")
  String getTrainingAccelerator();

  void setTrainingAccelerator(String accelerator);

  @Description("Machine type of the training stage's workers on Dataflow (e.g. g2-standard-8 for an L4), when it should differ"
      + " from --workerMachineType. Each stage is its own Dataflow job, so this is that job's --workerMachineType;"
      + " Beam's resource hints have no machine type (only accelerator, min_ram and cpu_count).")
  String getTrainingMachineType();

  void setTrainingMachineType(String machineType);

  @Description("Stop pretraining after this many optimizer steps (a time-boxed or smoke run; -1 runs the whole schedule)."
      + " A later run without it resumes from the checkpoint.")
  @Default.Long(-1)
  Long getStopAfterSteps();

  void setStopAfterSteps(Long steps);

  @Description("At most this many holdout blocks are scored at the end of pretraining.")
  @Default.Integer(2_000)
  Integer getHoldoutBlocks();

  void setHoldoutBlocks(Integer blocks);
}
