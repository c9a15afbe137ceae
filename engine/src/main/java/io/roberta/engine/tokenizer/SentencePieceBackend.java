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

  /** The text of XLM-R's mask token, which SentencePiece itself would split into pieces. */
  static final String MASK = "<mask>";

  @Override
  public Encoding encode(String text) {
    List<Integer> ids = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    List<int[]> offsets = new ArrayList<>();
    ids.add(id(bos));
    tokens.add(model.pieces()[bos]);
    offsets.add(new int[] {0, 0});
    int pos = 0;
    if (fairseq != null) { // <mask> is one token, and takes the space before it, as XLM-R's (lstrip)
      for (int at = text.indexOf(MASK); at >= 0; at = text.indexOf(MASK, pos)) {
        pieces(text.substring(pos, at).stripTrailing(), pos, ids, tokens, offsets);
        ids.add(fairseq.mask());
        tokens.add(MASK);
        offsets.add(new int[] {at, at + MASK.length()});
        pos = at + MASK.length();
      }
    }
    pieces(text.substring(pos), pos, ids, tokens, offsets);
    ids.add(id(eos));
    tokens.add(model.pieces()[eos]);
    offsets.add(new int[] {0, 0});
    return new Encoding(ids.stream().mapToInt(Integer::intValue).toArray(), tokens.toArray(String[]::new),
        offsets.toArray(int[][]::new));
  }

  /** Appends the pieces of {@code text}, which starts at character {@code base} of the whole text. */
  private void pieces(String text, int base, List<Integer> ids, List<String> tokens, List<int[]> offsets) {
    int[] pieceIds = processor.encode(text);
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
      ids.add(id(id));
      tokens.add(piece);
      String surface = piece.replace(SPACE_SYMBOL, ' ');
      int start = cursor;
      // The leading ▁ of the first piece is SentencePiece's dummy prefix, not in the text.
      if (!text.startsWith(surface, cursor) && surface.startsWith(" ")) {
        surface = surface.substring(1);
      }
      boolean spelled = model.types()[id] == SentencePieceModel.NORMAL || (unknown && surfaces != null);
      if (spelled && text.startsWith(surface, cursor)) {
        cursor += surface.length();
      }
      offsets.add(new int[] {base + start, base + cursor});
    }
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
