package io.roberta.engine.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
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
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new TokenizerFileException(file, null, "not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new TokenizerFileException(file, null,
          "not a Hugging Face tokenizer.json: the top level is not a JSON object");
    }
    JsonNode model = root.path("model");
    JsonNode vocab = model.path("vocab");
    Map<Integer, String> byId = new HashMap<>();
    if (vocab.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        int id = id(file, "model.vocab[\"" + e.getKey() + "\"]", e.getValue());
        byId.put(id, e.getKey());
      }
    } else if (vocab.isArray()) {
      checkSize(file, "model.vocab", vocab.size());
      for (int i = 0; i < vocab.size(); i++) {
        JsonNode entry = vocab.get(i);
        if (!entry.isArray() || entry.size() < 1 || !entry.get(0).isTextual()) {
          throw new TokenizerFileException(file, "model.vocab[" + i + "]",
              "a Unigram entry must be [piece, score], got " + abbreviate(entry));
        }
        byId.put(i, entry.get(0).asText());
      }
    } else {
      throw new TokenizerFileException(file, "model.vocab",
          "not a Hugging Face tokenizer.json: it has no model.vocab (model type "
              + model.path("type").asText("missing") + ")");
    }
    JsonNode addedTokens = root.path("added_tokens");
    if (!addedTokens.isMissingNode() && !addedTokens.isArray()) {
      throw new TokenizerFileException(file, "added_tokens", "must be an array, got "
          + abbreviate(addedTokens));
    }
    int index = 0;
    for (JsonNode added : addedTokens) {
      String where = "added_tokens[" + index++ + "]";
      if (!added.path("content").isTextual()) {
        throw new TokenizerFileException(file, where, "has no content string");
      }
      byId.put(id(file, where + " (\"" + added.path("content").asText() + "\")",
          added.path("id")), added.path("content").asText());
    }
    int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    String[] tokens = new String[size];
    byId.forEach((id, token) -> tokens[id] = token);
    return new Vocabulary(tokens);
  }

  /** Ids above this are not a vocabulary but a damaged file (the array would be gigabytes). */
  static final int MAX_ID = 16_777_215;

  /** An id: an integral JSON number in [0, MAX_ID]; 1.5, -5 and 2,147,483,000 are refused. */
  private static int id(Path file, String entry, JsonNode node) {
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0
        || node.intValue() > MAX_ID) {
      throw new TokenizerFileException(file, entry, "id " + abbreviate(node)
          + " is not an integer in [0, " + MAX_ID + "]");
    }
    return node.intValue();
  }

  private static void checkSize(Path file, String entry, int size) {
    if (size > MAX_ID + 1) {
      throw new TokenizerFileException(file, entry, size + " entries, more than the "
          + (MAX_ID + 1) + " this reader accepts");
    }
  }

  private static String abbreviate(JsonNode node) {
    String text = node.isMissingNode() ? "(missing)" : String.valueOf(node);
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }

  @Override
  public String toString() {
    return "Vocabulary{size=" + tokens.length + ", first="
        + Arrays.toString(Arrays.copyOf(tokens, Math.min(5, tokens.length))) + "}";
  }
}
