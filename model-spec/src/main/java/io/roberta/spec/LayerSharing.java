package io.roberta.spec;

/** How encoder layers own their weights. */
public enum LayerSharing {
  /** Every layer has its own weights (RoBERTa, BERT). */
  NONE,
  /** One layer's weights are used by every layer; gradients are summed (RoBERTa-Shared). */
  ALL_LAYERS
}
