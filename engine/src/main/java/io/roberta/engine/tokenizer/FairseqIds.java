package io.roberta.engine.tokenizer;

/**
 * XLM-R's ids over a SentencePiece model with SentencePiece's default specials ({@code <unk>=0,
 * <s>=1, </s>=2}), as fairseq and Hugging Face's {@code XLMRobertaTokenizer} assign them: {@code
 * <s>=0, <pad>=1, </s>=2, <unk>=3}, piece {@code i >= 3} is id {@code i + 1} (fairseq's offset),
 * and {@code <mask>} comes last, {@code pieces + 1}. A model laid out otherwise keeps its own ids.
 *
 * <pre>{@code int id = FairseqIds.of(model).fromPiece(spmId);}</pre>
 */
record FairseqIds(int pieces) {
  static final int OFFSET = 1;
  static final int BOS = 0;
  static final int PAD = 1;
  static final int EOS = 2;
  static final int UNK = 3;

  /** The mapping when {@code model} has SentencePiece's default layout, else null. */
  static FairseqIds of(SentencePieceModel model) {
    String[] p = model.pieces();
    boolean defaults = p.length > 3 && p[0].equals("<unk>") && p[1].equals("<s>") && p[2].equals("</s>")
        && model.types()[0] == SentencePieceModel.UNKNOWN;
    return defaults ? new FairseqIds(p.length) : null;
  }

  int mask() {
    return pieces + OFFSET;
  }

  int size() {
    return pieces + OFFSET + 1;
  }

  int fromPiece(int spmId) {
    return switch (spmId) {
      case 0 -> UNK;
      case 1 -> BOS;
      case 2 -> EOS;
      default -> spmId + OFFSET;
    };
  }

  /** The SentencePiece id of {@code id}, or -1 for {@code <pad>} and {@code <mask>}, which have no piece. */
  int toPiece(int id) {
    return switch (id) {
      case BOS -> 1;
      case EOS -> 2;
      case UNK -> 0;
      case PAD -> -1;
      default -> id == mask() ? -1 : id - OFFSET;
    };
  }

  /** The tokens by id: the pieces moved up by one, {@code <pad>} and {@code <mask>} added. */
  Vocabulary vocabulary(SentencePieceModel model) {
    String[] tokens = new String[size()];
    for (int id = 0; id < tokens.length; id++) {
      int piece = toPiece(id);
      tokens[id] = id == PAD ? "<pad>" : piece < 0 ? "<mask>" : model.pieces()[piece];
    }
    return new Vocabulary(tokens);
  }
}
