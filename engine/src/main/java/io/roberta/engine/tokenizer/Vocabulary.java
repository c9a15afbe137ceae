package io.roberta.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Id to token and back, read in Java so that it needs nothing from the native libraries (DJL
 * exposes neither for Hugging Face tokenizers).
 */
final class Vocabulary {

  private final String[] tokens; // [V], null where an id is unused
  private final Map<String, Integer> ids;

  Vocabulary(String[] tokens) {
    this.tokens = tokens;
    this.ids = new HashMap<>(tokens.length * 2);
    for (int id = 0; id < tokens.length; id++) {
      if (tokens[id] != null) {
        ids.putIfAbsent(tokens[id], id);
      }
    }
  }

  int size() {
    return tokens.length;
  }

  int id(String token) {
    Integer id = ids.get(token);
    return id == null ? -1 : id;
  }

  String token(int id) {
    if (id < 0 || id >= tokens.length) {
      throw new IllegalArgumentException(
          "token id " + id + " is outside the vocabulary [0, " + tokens.length + ")");
    }
    return tokens[id];
  }

  /**
   * Reads the model's vocabulary and the added tokens of a Hugging Face {@code tokenizer.json}.
   * BPE, WordPiece and WordLevel keep {@code {"token": id}}; Unigram keeps {@code [[piece,
   * score], ...]} where the position is the id.
   */
  static Vocabulary fromTokenizerJson(Path file) throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    JsonNode model = root.path("model");
    JsonNode vocab = model.path("vocab");
    Map<Integer, String> byId = new HashMap<>();
    if (vocab.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        byId.put(e.getValue().asInt(), e.getKey());
      }
    } else if (vocab.isArray()) {
      for (int i = 0; i < vocab.size(); i++) {
        byId.put(i, vocab.get(i).get(0).asText());
      }
    } else {
      throw new IllegalArgumentException(
          file + " is not a Hugging Face tokenizer.json: it has no model.vocab (model type "
              + model.path("type").asText("missing") + ")");
    }
    for (JsonNode added : root.path("added_tokens")) {
      byId.put(added.path("id").asInt(), added.path("content").asText());
    }
    int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    String[] tokens = new String[size];
    byId.forEach((id, token) -> tokens[id] = token);
    return new Vocabulary(tokens);
  }

  @Override
  public String toString() {
    return "Vocabulary{size=" + tokens.length + ", first="
        + Arrays.toString(Arrays.copyOf(tokens, Math.min(5, tokens.length))) + "}";
  }
}
