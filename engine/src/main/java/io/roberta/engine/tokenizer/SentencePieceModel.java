package io.roberta.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of a SentencePiece {@code .model} file (a {@code ModelProto}), read with a few lines
 * of protobuf decoding because DJL's binding can tell neither the vocabulary size nor whether an
 * id exists. Only {@code ModelProto.pieces} (field 1) is read: {@code piece} (1), {@code type}
 * (3); everything else is skipped.
 */
record SentencePieceModel(String[] pieces, int[] types) {

  /** {@code SentencePiece.Type} values. */
  static final int NORMAL = 1;
  static final int UNKNOWN = 2;
  static final int CONTROL = 3;

  Vocabulary vocabulary() {
    return new Vocabulary(pieces);
  }

  boolean isControl(int id) {
    return types[id] == CONTROL;
  }

  static SentencePieceModel parse(byte[] bytes, Path source) {
    List<String> pieces = new ArrayList<>();
    List<Integer> types = new ArrayList<>();
    try {
      Reader model = new Reader(bytes, 0, bytes.length);
      while (model.hasMore()) {
        long key = model.varint();
        int field = (int) (key >>> 3);
        int wire = (int) (key & 7);
        if (field == 1 && wire == 2) {
          int len = (int) model.varint();
          Reader piece = new Reader(bytes, model.pos, model.pos + len);
          model.pos += len;
          String text = "";
          int type = NORMAL;
          while (piece.hasMore()) {
            long k = piece.varint();
            int f = (int) (k >>> 3);
            int w = (int) (k & 7);
            if (f == 1 && w == 2) {
              int n = (int) piece.varint();
              text = new String(bytes, piece.pos, n, StandardCharsets.UTF_8);
              piece.pos += n;
            } else if (f == 3 && w == 0) {
              type = (int) piece.varint();
            } else {
              piece.skip(w);
            }
          }
          pieces.add(text);
          types.add(type);
        } else {
          model.skip(wire);
        }
      }
    } catch (IndexOutOfBoundsException | IllegalStateException e) {
      throw new IllegalArgumentException(
          source + " is not a SentencePiece .model file (protobuf ModelProto): " + e.getMessage(),
          e);
    }
    if (pieces.isEmpty()) {
      throw new IllegalArgumentException(
          source + " is not a SentencePiece .model file: it holds no pieces");
    }
    return new SentencePieceModel(
        pieces.toArray(String[]::new), types.stream().mapToInt(Integer::intValue).toArray());
  }

  private static final class Reader {
    final byte[] buf;
    int pos;
    final int end;

    Reader(byte[] buf, int pos, int end) {
      if (end > buf.length) {
        throw new IllegalStateException("a field runs past the end of the file");
      }
      this.buf = buf;
      this.pos = pos;
      this.end = end;
    }

    boolean hasMore() {
      return pos < end;
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalStateException("truncated varint at byte " + pos);
        }
        byte b = buf[pos++];
        result |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return result;
        }
      }
      throw new IllegalStateException("malformed varint at byte " + pos);
    }

    void skip(int wire) {
      switch (wire) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> {
          int length = (int) varint(); // read before adding: `pos += varint()` would lose the varint's bytes
          pos += length;
        }
        case 5 -> pos += 4;
        default -> throw new IllegalStateException("unsupported wire type " + wire + " at byte " + pos);
      }
      if (pos > end) {
        throw new IllegalStateException("a field runs past the end of its message");
      }
    }
  }
}
