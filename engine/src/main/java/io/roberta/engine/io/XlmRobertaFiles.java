package io.roberta.engine.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.spec.SpecialTokens;
import io.roberta.spec.TokenizerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Turns a saved RoBERTa directory whose tokenizer is a SentencePiece model into what Hugging
 * Face's XLM-R classes open: {@code sentencepiece.bpe.model} (the name {@code
 * XLMRobertaTokenizer} looks for), {@code tokenizer_config.json} naming that class and the special
 * tokens, {@code special_tokens_map.json}, and {@code config.json} of {@code model_type}
 * {@code xlm-roberta} naming {@code XLMRobertaForMaskedLM} (or the task head's XLM-R class) with
 * XLM-R's special-token ids ({@code <s>=0, <pad>=1, </s>=2, <unk>=3}, {@code <mask>} last).
 *
 * <pre>{@code XlmRobertaFiles.write(hfDir, Path.of("xlmr.model"));}</pre>
 */
public final class XlmRobertaFiles {
  /** The file name {@code XLMRobertaTokenizer} reads. */
  public static final String SENTENCEPIECE_MODEL = "sentencepiece.bpe.model";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private XlmRobertaFiles() {}

  /** Writes XLM-R's files into {@code dir} when {@code tokenizer} is a SentencePiece model; else nothing. */
  public static void writeFor(TokenizerSpec tokenizer, Path dir) {
    if (tokenizer.kind() != TokenizerSpec.Kind.SENTENCEPIECE) {
      return;
    }
    try {
      write(dir, Path.of(tokenizer.path()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write XLM-R's tokenizer files into " + dir + ": " + e.getMessage(), e);
    }
  }

  public static void write(Path dir, Path sentencePieceModel) throws IOException {
    Path configFile = dir.resolve("config.json");
    HfConfig config = HfConfig.read(configFile);
    SpecialTokens ids = config.spec().specialTokens();
    if (!ids.equals(SpecialTokens.roberta(config.spec().vocabSize()))) {
      throw new ModelFileException(configFile, "bos_token_id", "special tokens " + ids.asMap()
          + " are not XLM-R's (<s>=0, <pad>=1, </s>=2, <unk>=3, <mask>=vocab_size-1 = " + (config.spec().vocabSize() - 1)
          + "), which XLMRobertaTokenizer assumes");
    }
    Files.copy(sentencePieceModel, dir.resolve(SENTENCEPIECE_MODEL), StandardCopyOption.REPLACE_EXISTING);
    ObjectNode raw = config.raw();
    raw.put("model_type", HfConfig.XLM_ROBERTA);
    new HfConfig(config.spec(), config.architectures(), config.numLabels(), raw).write(configFile);

    ObjectNode specials = JSON.createObjectNode();
    specials.put("bos_token", "<s>");
    specials.put("eos_token", "</s>");
    specials.put("unk_token", "<unk>");
    specials.put("sep_token", "</s>");
    specials.put("pad_token", "<pad>");
    specials.put("cls_token", "<s>");
    specials.put("mask_token", "<mask>");
    JSON.writeValue(dir.resolve("special_tokens_map.json").toFile(), specials);
    ObjectNode tokenizer = specials.deepCopy();
    tokenizer.put("tokenizer_class", "XLMRobertaTokenizer");
    tokenizer.put("model_max_length", config.spec().maxPositions() - ids.pad() - 1);
    JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizer);
  }
}
