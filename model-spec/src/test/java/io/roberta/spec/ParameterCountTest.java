package io.roberta.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec's parameter count equals what Hugging Face writes for the same architecture. */
class ParameterCountTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void matchesTheTinyHuggingFaceFixture() throws Exception {
    JsonNode config = MAPPER.readTree(resource("config.json"));
    ModelSpec spec =
        new ModelSpec(
            config.get("vocab_size").asInt(),
            config.get("hidden_size").asInt(),
            config.get("num_hidden_layers").asInt(),
            config.get("num_attention_heads").asInt(),
            config.get("intermediate_size").asInt(),
            config.get("max_position_embeddings").asInt(),
            config.get("type_vocab_size").asInt(),
            config.get("layer_norm_eps").asDouble(),
            config.get("hidden_dropout_prob").asDouble(),
            config.get("attention_probs_dropout_prob").asDouble(),
            config.get("initializer_range").asDouble(),
            SpecialTokens.roberta(config.get("vocab_size").asInt()),
            LayerSharing.NONE);
    long expected = 0;
    int tensors = 0;
    JsonNode header = safetensorsHeader(resource("model.safetensors"));
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      long size = 1;
      for (JsonNode d : e.getValue().get("shape")) {
        size *= d.asLong();
      }
      expected += size;
      tensors++;
    }
    // 5 embedding tensors, 16 per layer, 5 in the LM head (decoder tied, not written).
    assertEquals(5 + 16 * spec.numLayers() + 5, tensors);
    assertEquals(expected, spec.parameterCount());
  }

  @Test
  void robertaBaseAndLargeMatchHuggingFace() {
    ModelSpec base = new ModelSpec(50265, 768, 12, 12, 3072, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(50265), LayerSharing.NONE);
    // RobertaForMaskedLM.from_pretrained("roberta-base").num_parameters()
    assertEquals(124_697_433L, base.parameterCount());
    ModelSpec large = new ModelSpec(50265, 1024, 24, 16, 4096, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(50265), LayerSharing.NONE);
    // RobertaForMaskedLM.from_pretrained("roberta-large").num_parameters()
    assertEquals(355_412_057L, large.parameterCount());
  }

  @Test
  void sharedLayersAreCountedOnce() {
    ModelSpec shared = new ModelSpec(50265, 768, 12, 12, 3072, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(50265), LayerSharing.ALL_LAYERS);
    assertEquals(124_697_433L - 11 * shared.parametersPerLayer(), shared.parameterCount());
  }

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = ParameterCountTest.class.getResourceAsStream("/tiny-roberta-mlm/" + name)) {
      return in.readAllBytes();
    }
  }

  private static JsonNode safetensorsHeader(byte[] file) throws Exception {
    long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return MAPPER.readTree(new String(file, 8, (int) n, StandardCharsets.UTF_8));
  }
}
