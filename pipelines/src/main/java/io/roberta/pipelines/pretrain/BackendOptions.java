package io.roberta.pipelines.pretrain;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Which engine backend the training stage computes on: how to run, never what to train.
 *
 * <pre>{@code roberta run TinyBrown --backend=cuda}</pre>
 */
public interface BackendOptions extends PipelineOptions {
  @Description("Engine backend of the training stage: nd4j (CPU, FP32), cuda (NVIDIA GPU through the engine-cuda"
      + " module, FP32 or BF16) or auto (nd4j for FP32 recipes, cuda for BF16).")
  @Default.String("auto")
  String getBackend();

  void setBackend(String backend);
}
