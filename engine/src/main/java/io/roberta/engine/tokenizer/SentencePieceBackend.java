package io.roberta.engine.tokenizer;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A SentencePiece {@code .model} through DJL's binding. SentencePiece itself adds no {@code <s>}
 * or {@code </s>}; this backend does, with the ids the model gives those pieces (XLM-R's models
 * have them). Offsets are found by matching each piece's surface form against the text, so they
 * are exact for models without normalization and approximate for models that normalize (NFKC).
 * A model with SentencePiece's default specials gets XLM-R's ids ({@link FairseqIds}), as Hugging
 * Face's {@code XLMRobertaTokenizer} gives them.
 */
final class SentencePieceBackend implements RobertaTokenizer.Backend {

  private static final char SPACE_SYMBOL = '\u2581'; // ▁, SentencePiece's whitespace

  private final SpTokenizer tokenizer;
  private final SpProcessor processor;
  private final SentencePieceModel model;
  private final int bos;
  private final int eos;
  /** XLM-R's ids over the pieces, or null when the model's own ids are used. */
  private final FairseqIds fairseq;

  SentencePieceBackend(byte[] modelBytes, SentencePieceModel model) {
    this.model = model;
    this.fairseq = FairseqIds.of(model);
    Vocabulary vocabulary = model.vocabulary();
    this.bos = vocabulary.id("<s>");
    this.eos = vocabulary.id("</s>");
    if (bos < 0 || eos < 0) {
      throw new IllegalArgumentException(
          "This SentencePiece model has no " + (bos < 0 ? "<s>" : "</s>")
              + " piece, which a RoBERTa-style encoding needs: train it with"
              + " --bos_piece=<s> --eos_piece=</s> (SentencePiece's defaults)");
    }
    this.tokenizer = new SpTokenizer(modelBytes);
    this.processor = tokenizer.getProcessor();
  }

  /** The tokens by id this backend encodes to. */
  Vocabulary vocabulary() {
    return fairseq == null ? model.vocabulary() : fairseq.vocabulary(model);
  }

  private int id(int spmId) {
    return fairseq == null ? spmId : fairseq.fromPiece(spmId);
  }

  @Override
  public Encoding encode(String text) {
    int[] pieceIds = processor.encode(text);
    int n = pieceIds.length + 2;
    int[] ids = new int[n];
    String[] tokens = new String[n];
    int[][] offsets = new int[n][];
    ids[0] = id(bos);
    tokens[0] = model.pieces()[bos];
    offsets[0] = new int[] {0, 0};
    int cursor = 0;
    // an unknown piece is spelled as the text it covers, as spm_encode and XLMRobertaTokenizer do
    String[] surfaces = null;
    for (int id : pieceIds) {
      if (model.types()[id] == SentencePieceModel.UNKNOWN) {
        surfaces = processor.tokenize(text);
        surfaces = surfaces.length == pieceIds.length ? surfaces : null;
        break;
      }
    }
    for (int i = 0; i < pieceIds.length; i++) {
      int id = pieceIds[i];
      boolean unknown = model.types()[id] == SentencePieceModel.UNKNOWN;
      String piece = unknown && surfaces != null ? surfaces[i] : model.pieces()[id];
      ids[i + 1] = id(id);
      tokens[i + 1] = piece;
      String surface = piece.replace(SPACE_SYMBOL, ' ');
      int start = cursor;
      // The leading ▁ of the first piece is SentencePiece's dummy prefix, not in the text.
      if (!text.startsWith(surface, cursor) && surface.startsWith(" ")) {
        surface = surface.substring(1);
        if (text.startsWith(surface, cursor)) {
          start = cursor;
        }
      }
      boolean spelled = model.types()[id] == SentencePieceModel.NORMAL || (unknown && surfaces != null);
      if (spelled && text.startsWith(surface, cursor)) {
        cursor += surface.length();
      }
      offsets[i + 1] = new int[] {start, cursor};
    }
    ids[n - 1] = id(eos);
    tokens[n - 1] = model.pieces()[eos];
    offsets[n - 1] = new int[] {0, 0};
    return new Encoding(ids, tokens, offsets);
  }

  @Override
  public List<Encoding> encodeBatch(List<String> texts) {
    List<Encoding> out = new ArrayList<>(texts.size());
    for (String text : texts) {
      out.add(encode(text));
    }
    return out;
  }

  @Override
  public String decode(int[] ids, boolean skipSpecial) {
    int[] kept = new int[ids.length];
    int k = 0;
    for (int id : ids) {
      int piece = fairseq == null ? id : fairseq.toPiece(id);
      if (piece >= 0 && !(skipSpecial && model.isControl(piece))) {
        kept[k++] = piece;
      }
    }
    return processor.decode(java.util.Arrays.copyOf(kept, k));
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
