package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.io.ModelFileException;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.io.TensorData;
import io.roberta.engine.kernels.Kernels;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every RoBERTa model shares: the spec, the parameter holder, the encoder, and Hugging Face
 * files ({@code config.json} + {@code model.safetensors}). A subclass adds one head.
 */
public abstract class RobertaTaskModel {
  public static final String CONFIG_FILE = "config.json";
  public static final String WEIGHTS_FILE = "model.safetensors";
  /** The label HF's losses ignore. */
  public static final int IGNORE_INDEX = -100;

  protected final ModelSpec spec;
  protected final Kernels kernels;
  protected final Parameters parameters;
  protected final Encoder encoder;
  /** The config this model was loaded from, whose extra fields (label names...) a save keeps. */
  private HfConfig loadedConfig;

  protected RobertaTaskModel(ModelSpec spec, Kernels kernels) {
    this.spec = spec;
    this.kernels = kernels;
    this.parameters = new Parameters(kernels);
    this.encoder = new Encoder(parameters, spec);
  }

  public ModelSpec spec() {
    return spec;
  }

  public Kernels kernels() {
    return kernels;
  }

  public Parameters parameters() {
    return parameters;
  }

  public Encoder encoder() {
    return encoder;
  }

  /** The {@code architectures} entry of this model's config. */
  public abstract String architecture();

  /** Number of labels written to the config (2, HF's default, for heads without labels). */
  public int numLabels() {
    return 2;
  }

  /** Runs the encoder only. */
  public Encoder.Forward encode(Batch batch, RunMode mode) {
    return encoder.forward(kernels, batch, mode);
  }

  /** Random initialization as Hugging Face does it, padding rows of the embeddings zero. */
  public void initialize(long seed) {
    int pad = spec.specialTokens().pad();
    parameters.initialize(spec.initializerRange(), seed, Map.of(
        "roberta.embeddings.word_embeddings.weight", pad,
        "roberta.embeddings.position_embeddings.weight", pad));
  }

  /**
   * Loads weights from {@code model.safetensors}; head tensors must be present unless {@code
   * headMayBeMissing}. With shared layers, layer 0 is loaded and every other layer in the file
   * must equal it.
   */
  protected void loadWeights(Path dir, HfConfig config, boolean headMayBeMissing)
      throws IOException {
    this.loadedConfig = config;
    SafeTensors file = SafeTensors.read(dir.resolve(WEIGHTS_FILE));
    parameters.load(file, name -> headMayBeMissing && !name.startsWith("roberta."));
    if (spec.layerSharing() == LayerSharing.ALL_LAYERS) {
      String shared = "roberta.encoder.layer.0.";
      for (Parameters.Param p : parameters.all()) {
        if (!p.name().startsWith(shared)) {
          continue;
        }
        TensorData first = file.tensor(p.name());
        for (int i = 1; i < spec.numLayers(); i++) {
          String name = "roberta.encoder.layer." + i + "." + p.name().substring(shared.length());
          if (file.contains(name) && !file.tensor(name).equals(first)) {
            throw new ModelFileException(file.file(), name, "differs from " + p.name()
                + " but config.json says layer_sharing = all_layers");
          }
        }
      }
    }
  }

  /**
   * Writes {@code config.json} and {@code model.safetensors} that transformers opens as {@link
   * #architecture()}: tied decoder weights are left out (transformers re-ties them), shared layers
   * are written once per depth so HF sees an ordinary model.
   */
  public void save(Path dir) throws IOException {
    HfConfig config = new HfConfig(spec, java.util.List.of(architecture()), numLabels(),
        loadedConfig == null ? null : loadedConfig.raw());
    config.write(dir.resolve(CONFIG_FILE));
    Map<String, TensorData> values = parameters.values();
    if (spec.layerSharing() == LayerSharing.ALL_LAYERS) {
      Map<String, TensorData> expanded = new LinkedHashMap<>();
      String shared = "roberta.encoder.layer.0.";
      values.forEach((name, t) -> {
        if (name.startsWith(shared)) {
          for (int i = 0; i < spec.numLayers(); i++) {
            expanded.put("roberta.encoder.layer." + i + "." + name.substring(shared.length()), t);
          }
        } else {
          expanded.put(name, t);
        }
      });
      values = expanded;
    }
    SafeTensors.write(dir.resolve(WEIGHTS_FILE), SafeTensors.hfOrder(values),
        Map.of("format", "pt"));
  }

  /** Reads {@code dir/config.json}. */
  protected static HfConfig readConfig(Path dir) throws IOException {
    return HfConfig.read(dir.resolve(CONFIG_FILE));
  }
}
