package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.io.ModelFileException;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.io.TensorData;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * RoBERTa with one task head: what every model shares (the spec, the parameter holder, the
 * encoder, the kernel scope of a step, the optimizer step, Hugging Face files {@code config.json}
 * + {@code model.safetensors}) and the {@link Head} that makes it a masked LM, a classifier, a
 * tagger, a reader or a multiple-choice model. The {@code RobertaFor*} classes name the common
 * pairings and their typed outputs.
 *
 * <pre>{@code
 * RobertaTaskModel<int[]> model = RobertaTaskModel.fromPretrained(mlmDir, ClassificationHead.factory(3), seed, kernels);
 * model.parameters().zeroGrads();
 * double loss = model.forwardBackward(batch, labels, RunMode.training(step));
 * model.optimizerStep(adamW, lr, 1.0);
 * model.close(); // frees weights and gradients now
 *
 * try (RobertaTaskModel<int[]> scorer = RobertaTaskModel.loadForInference(dir, ClassificationHead.factory(3), kernels)) {
 *   float[] logits = scorer.scoresOnHost(batch); // no gradient buffers were allocated
 * }
 * }</pre>
 *
 * <p>A model owns the native memory of its parameters (and their gradients): {@link #close()}
 * frees it at once. It does not own its {@link Kernels}, which whoever created them closes.
 *
 * @param <T> the targets of one batch for the head's loss
 */
public class RobertaTaskModel<T> implements AutoCloseable {
  public static final String CONFIG_FILE = "config.json";
  public static final String WEIGHTS_FILE = "model.safetensors";
  /** The label HF's losses ignore. */
  public static final int IGNORE_INDEX = -100;

  protected final ModelSpec spec;
  protected final Kernels kernels;
  protected final Parameters parameters;
  protected final Encoder encoder;
  protected final Head<T> head;
  /** The parameters the head registered: absent from a pretrained encoder's file. */
  private final Set<String> headParameters;
  /** The config this model was loaded from, whose extra fields (label names...) a save keeps. */
  private HfConfig loadedConfig;

  /** A model for training: every parameter with its gradient. */
  public RobertaTaskModel(ModelSpec spec, Kernels kernels, Head.Factory<T> head) {
    this(spec, kernels, head, ModelUse.TRAINING);
  }

  /** A model for {@code use}: {@link ModelUse#INFERENCE} allocates no gradients. */
  public RobertaTaskModel(ModelSpec spec, Kernels kernels, Head.Factory<T> head, ModelUse use) {
    this.spec = spec;
    this.kernels = kernels;
    this.parameters = new Parameters(kernels, use);
    this.encoder = new Encoder(parameters, spec);
    Set<String> encoderNames = new HashSet<>();
    parameters.all().forEach(p -> encoderNames.add(p.name()));
    this.head = head.create(parameters, spec, encoder);
    Set<String> added = new LinkedHashSet<>();
    parameters.all().stream().map(Parameters.Param::name).filter(n -> !encoderNames.contains(n))
        .forEach(added::add);
    this.headParameters = Set.copyOf(added);
  }

  /**
   * Loads a model with {@code head} from {@code dir} ({@code config.json}, {@code
   * model.safetensors}) for training (with gradients); see {@link #loadForInference}.
   */
  public static <T> RobertaTaskModel<T> load(Path dir, Head.Factory<T> head, Kernels kernels)
      throws IOException {
    return loadAs(dir, config -> new RobertaTaskModel<>(config.spec(), kernels, head));
  }

  /** As {@link #load}, without gradient buffers: for evaluation and prediction only. */
  public static <T> RobertaTaskModel<T> loadForInference(Path dir, Head.Factory<T> head, Kernels kernels)
      throws IOException {
    return loadAs(dir, config -> new RobertaTaskModel<>(config.spec(), kernels, head, ModelUse.INFERENCE));
  }

  /**
   * Starts fine-tuning from a pretrained encoder in {@code dir} (e.g. a masked-LM checkpoint): the
   * head's parameters are initialized from {@code seed} where the file has none.
   */
  public static <T> RobertaTaskModel<T> fromPretrained(Path dir, Head.Factory<T> head, long seed,
      Kernels kernels) throws IOException {
    return pretrainedAs(dir, config -> new RobertaTaskModel<>(config.spec(), kernels, head), seed);
  }

  /** Reads {@code dir}'s config, builds the model {@code make} names for it, loads every weight. */
  protected static <M extends RobertaTaskModel<?>> M loadAs(Path dir, Function<HfConfig, M> make)
      throws IOException {
    HfConfig config = readConfig(dir);
    M model = make.apply(config);
    try {
      model.loadWeights(dir, config, false);
    } catch (IOException | RuntimeException e) {
      model.close(); // a file that fails to load leaves no weights behind
      throw e;
    }
    return model;
  }

  /** As {@link #loadAs}, but the head may be missing from the file: it starts from {@code seed}. */
  protected static <M extends RobertaTaskModel<?>> M pretrainedAs(Path dir, Function<HfConfig, M> make,
      long seed) throws IOException {
    HfConfig config = readConfig(dir);
    M model = make.apply(config);
    try {
      model.initialize(seed);
      model.loadWeights(dir, config, true);
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  /** Every weight random from {@code seed}: the no-pretraining baseline. */
  public static <T> RobertaTaskModel<T> random(ModelSpec spec, Head.Factory<T> head, long seed,
      Kernels kernels) {
    RobertaTaskModel<T> model = new RobertaTaskModel<>(spec, kernels, head);
    model.initialize(seed);
    return model;
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

  /** What this model was built for: only a {@link ModelUse#TRAINING} model has gradients. */
  public ModelUse use() {
    return parameters.use();
  }

  public Encoder encoder() {
    return encoder;
  }

  public Head<T> head() {
    return head;
  }

  /** The {@code architectures} entry of this model's config. */
  public String architecture() {
    return head.architecture();
  }

  /** Number of labels written to the config. */
  public int numLabels() {
    return head.numLabels();
  }

  /** Runs the encoder only. */
  public Encoder.Forward encode(Batch batch, RunMode mode) {
    return encoder.forward(kernels, batch, mode);
  }

  /**
   * The head's inference scores for {@code batch}. The tensor lives in the caller's scope; {@link
   * #scoresOnHost} frees everything before it returns.
   */
  public Tensor scores(Batch batch) {
    return head.scores(kernels, encode(batch, RunMode.inference()));
  }

  /** {@link #scores} copied to the host, every activation freed. */
  public float[] scoresOnHost(Batch batch) {
    try (Kernels.Scope scope = kernels.scope()) {
      return kernels.toFloats(scores(batch));
    }
  }

  /** The loss without gradients, with dropout when {@code mode} trains (evaluation, checks). */
  public double loss(Batch batch, T targets, RunMode mode) {
    return run(batch, targets, mode, false);
  }

  /** The inference loss. */
  public double loss(Batch batch, T targets) {
    return run(batch, targets, RunMode.inference(), false);
  }

  /** The head's loss over the batch, accumulating every parameter's gradient. */
  public double forwardBackward(Batch batch, T targets, RunMode mode) {
    parameters.requireGradients("forwardBackward");
    return run(batch, targets, mode, true);
  }

  private double run(Batch batch, T targets, RunMode mode, boolean backward) {
    // every activation of the step is freed when it ends: nothing but the loss leaves it
    try (Kernels.Scope scope = kernels.scope()) {
      Encoder.Forward f = encoder.forward(kernels, batch, mode);
      Head.Pass pass = head.loss(kernels, f, targets, mode, backward);
      if (backward && pass.dLast() != null) {
        encoder.backward(kernels, f, pass.dLast());
      }
      return pass.loss();
    }
  }

  /**
   * One optimizer update from the accumulated gradients: clips their global norm to {@code
   * clipNorm} (none when 0) and applies AdamW at {@code learningRate}. Returns the norm before
   * clipping.
   */
  public double optimizerStep(AdamW adam, double learningRate, double clipNorm) {
    parameters.requireGradients("an optimizer step");
    double norm = clipNorm > 0
        ? GradientClipping.clipGlobalNorm(parameters, clipNorm)
        : GradientClipping.globalNorm(parameters);
    adam.step(parameters, learningRate);
    return norm;
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
    parameters.load(file, name -> headMayBeMissing && headParameters.contains(name));
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

  /**
   * Frees the weights (and gradients) now instead of when the garbage collector finds them; the
   * model cannot be used afterwards. Closing twice is harmless. The kernels stay open.
   */
  @Override
  public void close() {
    parameters.close();
  }

  /** Reads {@code dir/config.json}. */
  protected static HfConfig readConfig(Path dir) throws IOException {
    return HfConfig.read(dir.resolve(CONFIG_FILE));
  }
}
