package io.roberta.engine.model;

/**
 * What a model is built for. Training keeps a gradient next to every parameter (as much native
 * memory again as the weights); inference keeps none, and refuses a backward pass.
 *
 * <pre>{@code RobertaForMaskedLM scorer = RobertaForMaskedLM.loadForInference(dir, kernels);}</pre>
 */
public enum ModelUse {
  /** Weights and one gradient per weight: forward, backward and optimizer steps. */
  TRAINING,
  /** Weights only: forward passes (evaluation, prediction, holdout scoring). */
  INFERENCE
}
