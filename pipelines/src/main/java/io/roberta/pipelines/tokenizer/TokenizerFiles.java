package io.roberta.pipelines.tokenizer;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a {@link BpeModel} as Hugging Face files: {@code tokenizer.json} (what the {@code
 * tokenizers} library and DJL load), and the older pair {@code vocab.json} + {@code merges.txt}.
 * The bytes depend only on the model, so equal models give byte-identical files.
 *
 * <p>The pipeline is RoBERTa's: no normalizer, a {@code ByteLevel} pre-tokenizer without prefix
 * space (so decoding gives the input back exactly), a {@code RobertaProcessing} post-processor
 * that adds {@code <s>} ... {@code </s>}, and a {@code ByteLevel} decoder. Merges are written as
 * {@code "a b"} strings, the form every version of the library reads (byte-level tokens hold no
 * space).
 */
public final class TokenizerFiles {

  public static final String TOKENIZER_JSON = "tokenizer.json";
  public static final String VOCAB_JSON = "vocab.json";
  public static final String MERGES_TXT = "merges.txt";

  private TokenizerFiles() {}

  public static byte[] tokenizerJson(BpeModel model) {
    List<String> vocab = model.vocab();
    int mask = vocab.size() - 1;
    StringBuilder out = new StringBuilder(vocab.size() * 40 + model.merges().size() * 20);
    out.append("{\n");
    out.append("  \"version\": \"1.0\",\n");
    out.append("  \"truncation\": null,\n");
    out.append("  \"padding\": null,\n");
    out.append("  \"added_tokens\": [\n");
    for (int id = 0; id < BpeTrainer.LEADING_SPECIALS.size(); id++) {
      addedToken(out, id, vocab.get(id), false).append(",\n");
    }
    // lstrip, as roberta-base: "Hello <mask>." matches <mask> with the space before it.
    addedToken(out, mask, vocab.get(mask), true).append("\n");
    out.append("  ],\n");
    out.append("  \"normalizer\": null,\n");
    out.append("  \"pre_tokenizer\": {\n");
    out.append("    \"type\": \"ByteLevel\",\n");
    out.append("    \"add_prefix_space\": false,\n");
    out.append("    \"trim_offsets\": true,\n");
    out.append("    \"use_regex\": true\n");
    out.append("  },\n");
    out.append("  \"post_processor\": {\n");
    out.append("    \"type\": \"RobertaProcessing\",\n");
    out.append("    \"sep\": [").append(quote(vocab.get(2))).append(", 2],\n");
    out.append("    \"cls\": [").append(quote(vocab.get(0))).append(", 0],\n");
    out.append("    \"trim_offsets\": true,\n");
    out.append("    \"add_prefix_space\": false\n");
    out.append("  },\n");
    out.append("  \"decoder\": {\n");
    out.append("    \"type\": \"ByteLevel\",\n");
    out.append("    \"add_prefix_space\": true,\n");
    out.append("    \"trim_offsets\": true,\n");
    out.append("    \"use_regex\": true\n");
    out.append("  },\n");
    out.append("  \"model\": {\n");
    out.append("    \"type\": \"BPE\",\n");
    out.append("    \"dropout\": null,\n");
    out.append("    \"unk_token\": null,\n");
    out.append("    \"continuing_subword_prefix\": \"\",\n");
    out.append("    \"end_of_word_suffix\": \"\",\n");
    out.append("    \"fuse_unk\": false,\n");
    out.append("    \"byte_fallback\": false,\n");
    out.append("    \"vocab\": {\n");
    for (int id = 0; id < vocab.size(); id++) {
      out.append("      ").append(quote(vocab.get(id))).append(": ").append(id);
      out.append(id + 1 < vocab.size() ? ",\n" : "\n");
    }
    out.append("    },\n");
    out.append("    \"merges\": [\n");
    List<String[]> merges = model.merges();
    for (int i = 0; i < merges.size(); i++) {
      out.append("      ").append(quote(merges.get(i)[0] + " " + merges.get(i)[1]));
      out.append(i + 1 < merges.size() ? ",\n" : "\n");
    }
    out.append("    ]\n");
    out.append("  }\n");
    out.append("}\n");
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code {"token": id, ...}} in id order, on one line, as Hugging Face writes it. */
  public static byte[] vocabJson(BpeModel model) {
    List<String> vocab = model.vocab();
    StringBuilder out = new StringBuilder(vocab.size() * 16);
    out.append('{');
    for (int id = 0; id < vocab.size(); id++) {
      if (id > 0) {
        out.append(',');
      }
      out.append(quote(vocab.get(id))).append(':').append(id);
    }
    out.append("}\n");
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code #version: 0.2} then one {@code "a b"} merge per line. */
  public static byte[] mergesTxt(BpeModel model) {
    StringBuilder out = new StringBuilder(model.merges().size() * 12);
    out.append("#version: 0.2\n");
    for (String[] m : model.merges()) {
      out.append(m[0]).append(' ').append(m[1]).append('\n');
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static StringBuilder addedToken(StringBuilder out, int id, String content, boolean lstrip) {
    return out.append("    {\"id\": ").append(id)
        .append(", \"content\": ").append(quote(content))
        .append(", \"single_word\": false, \"lstrip\": ").append(lstrip)
        .append(", \"rstrip\": false, \"normalized\": false, \"special\": true}");
  }

  private static String quote(String s) {
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
  }
}
