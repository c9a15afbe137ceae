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

  /** More pieces than any real model has (XLM-R: 250,002); a larger count is a damaged file. */
  static final int MAX_PIECES = 4_000_000;

  /**
   * Decodes the pieces of a {@code ModelProto}; every length is read as an unsigned varint and
   * must fit inside its enclosing message, so a damaged file fails with a
   * {@link TokenizerFileException} naming the byte offset instead of looping or allocating.
   */
  static SentencePieceModel parse(byte[] bytes, Path source) {
    List<String> pieces = new ArrayList<>();
    List<Integer> types = new ArrayList<>();
    try {
      Reader model = new Reader(bytes, 0, bytes.length);
      while (model.hasMore()) {
        long key = model.varint();
        int wire = (int) (key & 7);
        long field = key >>> 3;
        if (field == 1 && wire == 2) {
          int len = model.length();
          Reader piece = new Reader(bytes, model.pos, model.pos + len);
          model.pos += len;
          String text = "";
          int type = NORMAL;
          while (piece.hasMore()) {
            long k = piece.varint();
            long f = k >>> 3;
            int w = (int) (k & 7);
            if (f == 1 && w == 2) {
              int n = piece.length();
              text = new String(bytes, piece.pos, n, StandardCharsets.UTF_8);
              piece.pos += n;
            } else if (f == 3 && w == 0) {
              long t = piece.varint();
              if (t < NORMAL || t > 6) {
                throw new IllegalStateException("piece " + pieces.size() + " has type " + t
                    + " at byte " + piece.pos + " (valid: 1..6, SentencePiece.Type)");
              }
              type = (int) t;
            } else {
              piece.skip(w);
            }
          }
          if (pieces.size() == MAX_PIECES) {
            throw new IllegalStateException("more than " + MAX_PIECES + " pieces");
          }
          pieces.add(text);
          types.add(type);
        } else {
          model.skip(wire);
        }
      }
    } catch (IllegalStateException e) {
      throw new TokenizerFileException(source, "piece " + pieces.size(),
          "not a SentencePiece .model file (protobuf ModelProto): " + e.getMessage(), e);
    }
    if (pieces.isEmpty()) {
      throw new TokenizerFileException(source, null,
          "not a SentencePiece .model file: it holds no pieces");
    }
    return new SentencePieceModel(
        pieces.toArray(String[]::new), types.stream().mapToInt(Integer::intValue).toArray());
  }

  private static final class Reader {
    final byte[] buf;
    int pos;
    final int end;

    Reader(byte[] buf, int pos, int end) {
      if (pos < 0 || end < pos || end > buf.length) {
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

    /** A length prefix: unsigned, and no longer than what is left of this message. */
    int length() {
      int at = pos;
      long length = varint();
      if (length < 0 || length > end - pos) {
        throw new IllegalStateException("length " + Long.toUnsignedString(length) + " at byte "
            + at + " runs past the end of its message (" + (end - pos) + " bytes left)");
      }
      return (int) length;
    }

    void skip(int wire) {
      int at = pos;
      long step = switch (wire) {
        case 0 -> {
          varint();
          yield 0;
        }
        case 1 -> 8;
        case 2 -> length();
        case 5 -> 4;
        default -> throw new IllegalStateException(
            "unsupported wire type " + wire + " at byte " + at);
      };
      if (step > end - pos) {
        throw new IllegalStateException("a field at byte " + at
            + " runs past the end of its message");
      }
      pos += (int) step;
    }
  }
}
