package io.roberta.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a minimal SentencePiece {@code ModelProto} (Unigram, no normalization) for tests, so
 * that the fixture is made from a readable list of pieces instead of a committed binary. The
 * layout follows {@code sentencepiece_model.proto}: {@code pieces} = 1 (piece = 1, score = 2,
 * type = 3), {@code trainer_spec} = 2 (model_type = 3, vocab_size = 4), {@code normalizer_spec}
 * = 3 (name = 1, add_dummy_prefix = 3, remove_extra_whitespaces = 4, escape_whitespaces = 5).
 */
final class SentencePieceModelWriter {

  record Piece(String piece, float score, int type) {}

  static byte[] unigram(List<Piece> pieces) {
    ByteArrayOutputStream model = new ByteArrayOutputStream();
    for (Piece p : pieces) {
      ByteArrayOutputStream m = new ByteArrayOutputStream();
      bytesField(m, 1, p.piece().getBytes(StandardCharsets.UTF_8));
      tag(m, 2, 5);
      int bits = Float.floatToIntBits(p.score());
      for (int i = 0; i < 4; i++) {
        m.write((bits >>> (8 * i)) & 0xff);
      }
      varintField(m, 3, p.type());
      bytesField(model, 1, m.toByteArray());
    }
    ByteArrayOutputStream trainer = new ByteArrayOutputStream();
    varintField(trainer, 3, 1); // UNIGRAM
    varintField(trainer, 4, pieces.size());
    bytesField(model, 2, trainer.toByteArray());
    ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
    bytesField(normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
    varintField(normalizer, 3, 1);
    varintField(normalizer, 4, 0);
    varintField(normalizer, 5, 1);
    bytesField(model, 3, normalizer.toByteArray());
    return model.toByteArray();
  }

  private static void tag(ByteArrayOutputStream out, int field, int wire) {
    varint(out, ((long) field << 3) | wire);
  }

  private static void varintField(ByteArrayOutputStream out, int field, long value) {
    tag(out, field, 0);
    varint(out, value);
  }

  private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
    tag(out, field, 2);
    varint(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
