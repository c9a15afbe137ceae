package io.roberta.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecException;
import io.roberta.spec.SpecialTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code config.json} for RoBERTa: the {@link ModelSpec}, the architecture and the
 * label count. Fields this project does not model are kept and written back unchanged.
 *
 * <p>A config of {@code model_type} {@code "xlm-roberta"} reads as RoBERTa (its architectures with
 * the {@code XLM} prefix dropped) and is written back as XLM-R, {@code XLMRoberta*} names included.
 *
 * <p>Two keys are this project's own and ignored by transformers: {@code mask_token_id} and
 * {@code unk_token_id} (RoBERTa's layout, {@code <unk>=3} and {@code <mask>} last, when absent),
 * and {@code layer_sharing} ({@code "all_layers"} for RoBERTa-Shared).
 *
 * <pre>{@code HfConfig config = HfConfig.read(dir.resolve("config.json")); config.spec().numLayers();}</pre>
 */
public record HfConfig(ModelSpec spec, List<String> architectures, int numLabels, ObjectNode raw) {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static final String MASKED_LM = "RobertaForMaskedLM";
  public static final String SEQUENCE_CLASSIFICATION = "RobertaForSequenceClassification";
  public static final String TOKEN_CLASSIFICATION = "RobertaForTokenClassification";
  public static final String QUESTION_ANSWERING = "RobertaForQuestionAnswering";
  public static final String MULTIPLE_CHOICE = "RobertaForMultipleChoice";
  /** The {@code model_type} of XLM-R: RoBERTa's network with a SentencePiece vocabulary. */
  public static final String XLM_ROBERTA = "xlm-roberta";

  public HfConfig {
    architectures = List.copyOf(architectures);
    raw = raw == null ? JSON.createObjectNode() : raw.deepCopy();
  }

  /** A config for a new model of {@code architecture} with {@code numLabels} labels. */
  public static HfConfig of(ModelSpec spec, String architecture, int numLabels) {
    return new HfConfig(spec, List.of(architecture), numLabels, null);
  }

  /** The first architecture, or {@link #MASKED_LM} when none is named. */
  public String architecture() {
    return architectures.isEmpty() ? MASKED_LM : architectures.get(0);
  }

  /** Reads and validates {@code config.json}; errors name the file and the field. */
  public static HfConfig read(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new ModelFileException(file, null, "not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ModelFileException(file, null, "not a JSON object");
    }
    String modelType = root.path("model_type").asText("roberta");
    if (!modelType.equals("roberta") && !modelType.equals(XLM_ROBERTA)) {
      throw new ModelFileException(file, "model_type", "is \"" + modelType
          + "\"; only \"roberta\" and \"xlm-roberta\" models are supported");
    }
    String act = root.path("hidden_act").asText("gelu");
    if (!act.equals("gelu")) {
      throw new ModelFileException(file, "hidden_act", "is \"" + act
          + "\"; only exact \"gelu\" is supported");
    }
    int vocab = requiredInt(file, root, "vocab_size");
    int hidden = requiredInt(file, root, "hidden_size");
    int layers = requiredInt(file, root, "num_hidden_layers");
    int heads = requiredInt(file, root, "num_attention_heads");
    int intermediate = requiredInt(file, root, "intermediate_size");
    int maxPositions = requiredInt(file, root, "max_position_embeddings");
    if (heads <= 0 || hidden <= 0 || hidden % heads != 0) {
      throw new ModelFileException(file, "num_attention_heads", heads
          + " does not divide hidden_size " + hidden);
    }
    int bos = optionalInt(file, root, "bos_token_id", 0);
    int pad = optionalInt(file, root, "pad_token_id", 1);
    int eos = optionalInt(file, root, "eos_token_id", 2);
    int unk = optionalInt(file, root, "unk_token_id", 3);
    int mask = optionalInt(file, root, "mask_token_id", vocab - 1);
    String sharing = root.path("layer_sharing").asText("none");
    LayerSharing layerSharing;
    try {
      layerSharing = LayerSharing.valueOf(sharing.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(file, "layer_sharing", "is \"" + sharing
          + "\"; valid: \"none\", \"all_layers\"");
    }
    ModelSpec spec;
    try {
      spec = new ModelSpec(vocab, hidden, layers, heads, intermediate, maxPositions,
          optionalInt(file, root, "type_vocab_size", 2),
          optionalDouble(file, root, "layer_norm_eps", 1e-12),
          optionalDouble(file, root, "hidden_dropout_prob", 0.1),
          optionalDouble(file, root, "attention_probs_dropout_prob", 0.1),
          optionalDouble(file, root, "initializer_range", 0.02),
          new SpecialTokens(bos, pad, eos, unk, mask), layerSharing);
    } catch (SpecException e) {
      throw new ModelFileException(file, hfField(e.field()), e.getMessage(), e);
    }
    List<String> architectures = new ArrayList<>();
    // XLM-R's classes are RoBERTa's under another name: XLMRobertaForMaskedLM is RobertaForMaskedLM
    root.path("architectures").forEach(a -> architectures.add(a.asText().replaceFirst("^XLMRoberta", "Roberta")));
    int numLabels = root.has("id2label") ? root.get("id2label").size()
        : optionalInt(file, root, "num_labels", 2);
    if (numLabels < 1 || (long) numLabels * spec.hiddenSize() > ModelSpec.MAX_TENSOR_ELEMENTS) {
      throw new ModelFileException(file, root.has("id2label") ? "id2label" : "num_labels", numLabels
          + " labels: a classifier needs at least 1, and its [numLabels, hidden_size] weight must fit one"
          + " tensor (at most " + ModelSpec.MAX_TENSOR_ELEMENTS / spec.hiddenSize() + " labels)");
    }
    return new HfConfig(spec, architectures, numLabels, (ObjectNode) root);
  }

  /** Writes {@code config.json} as transformers expects it, keeping unknown fields of a read file. */
  public void write(Path file) throws IOException {
    ObjectNode out = raw.deepCopy();
    boolean xlmr = XLM_ROBERTA.equals(raw.path("model_type").asText());
    ArrayNode arch = out.putArray("architectures");
    architectures.forEach(a -> arch.add(xlmr ? a.replaceFirst("^Roberta", "XLMRoberta") : a));
    out.put("model_type", xlmr ? XLM_ROBERTA : "roberta");
    out.put("vocab_size", spec.vocabSize());
    out.put("hidden_size", spec.hiddenSize());
    out.put("num_hidden_layers", spec.numLayers());
    out.put("num_attention_heads", spec.numHeads());
    out.put("intermediate_size", spec.intermediateSize());
    out.put("max_position_embeddings", spec.maxPositions());
    out.put("type_vocab_size", spec.typeVocabSize());
    out.put("layer_norm_eps", spec.layerNormEps());
    out.put("hidden_dropout_prob", spec.hiddenDropout());
    out.put("attention_probs_dropout_prob", spec.attentionDropout());
    out.put("initializer_range", spec.initializerRange());
    out.put("hidden_act", "gelu");
    out.put("bos_token_id", spec.specialTokens().bos());
    out.put("pad_token_id", spec.specialTokens().pad());
    out.put("eos_token_id", spec.specialTokens().eos());
    out.put("unk_token_id", spec.specialTokens().unk());
    out.put("mask_token_id", spec.specialTokens().mask());
    out.put("tie_word_embeddings", true);
    if (spec.layerSharing() == LayerSharing.ALL_LAYERS) {
      out.put("layer_sharing", "all_layers");
    } else {
      out.remove("layer_sharing");
    }
    if (!out.has("id2label") || out.get("id2label").size() != numLabels) {
      ObjectNode id2label = out.putObject("id2label");
      ObjectNode label2id = out.putObject("label2id");
      for (int i = 0; i < numLabels; i++) {
        id2label.put(Integer.toString(i), "LABEL_" + i);
        label2id.put("LABEL_" + i, i);
      }
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, JSON.writeValueAsString(out) + "\n");
  }

  private static final Map<String, String> SPEC_TO_HF = Map.ofEntries(
      Map.entry("model.vocabSize", "vocab_size"),
      Map.entry("model.hiddenSize", "hidden_size"),
      Map.entry("model.numLayers", "num_hidden_layers"),
      Map.entry("model.numHeads", "num_attention_heads"),
      Map.entry("model.intermediateSize", "intermediate_size"),
      Map.entry("model.maxPositions", "max_position_embeddings"),
      Map.entry("model.typeVocabSize", "type_vocab_size"),
      Map.entry("model.layerNormEps", "layer_norm_eps"),
      Map.entry("model.hiddenDropout", "hidden_dropout_prob"),
      Map.entry("model.attentionDropout", "attention_probs_dropout_prob"),
      Map.entry("model.initializerRange", "initializer_range"),
      Map.entry("model.specialTokens.bos", "bos_token_id"),
      Map.entry("model.specialTokens.pad", "pad_token_id"),
      Map.entry("model.specialTokens.eos", "eos_token_id"),
      Map.entry("model.specialTokens.unk", "unk_token_id"),
      Map.entry("model.specialTokens.mask", "mask_token_id"));

  private static String hfField(String specField) {
    return specField == null ? null : SPEC_TO_HF.getOrDefault(specField, specField);
  }

  private static int requiredInt(Path file, JsonNode root, String field) {
    if (!root.has(field)) {
      throw new ModelFileException(file, field, "missing field");
    }
    return optionalInt(file, root, field, 0);
  }

  private static int optionalInt(Path file, JsonNode root, String field, int fallback) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new ModelFileException(file, field, "must be an integer, got " + n);
    }
    return n.asInt();
  }

  private static double optionalDouble(Path file, JsonNode root, String field, double fallback) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isNumber()) {
      throw new ModelFileException(file, field, "must be a number, got " + n);
    }
    return n.asDouble();
  }
}
