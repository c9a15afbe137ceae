package io.roberta.pipelines.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a UTF-8 byte stream as text in pieces of at most {@code maxChars} characters, so that a
 * file of any size (a single 100 MB line included) is never held in memory whole. Pieces are cut
 * where {@link ByteLevelPreTokenizer#isSafeCut} allows, so counting the words of the pieces gives
 * the counts of the whole; only a stretch of {@code maxChars / 2} characters without any "word
 * space word" is cut blindly (at a code point boundary).
 *
 * <p>Invalid UTF-8 is replaced by U+FFFD, one per malformed sequence (as Java's decoder does), and
 * counted.
 *
 * <pre>{@code
 * long invalid = new Utf8Chunker(1 << 20).read(channel, pieces::add);
 * }</pre>
 */
public final class Utf8Chunker {

  private final int maxChars;

  public Utf8Chunker(int maxChars) {
    if (maxChars < 16) {
      throw new IllegalArgumentException("maxChars must be at least 16, got " + maxChars);
    }
    this.maxChars = maxChars;
  }

  /**
   * Decodes the whole channel, calling {@code pieces} with each piece in order.
   *
   * @return the number of malformed sequences replaced by U+FFFD
   */
  public long read(ReadableByteChannel channel, Consumer<String> pieces) throws IOException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.allocate(1 << 16);
    CharBuffer out = CharBuffer.allocate(1 << 16);
    StringBuilder pending = new StringBuilder();
    long invalid = 0;
    boolean eof = false;
    while (!eof) {
      eof = channel.read(in) < 0;
      in.flip();
      while (true) {
        CoderResult result = decoder.decode(in, out, eof);
        if (result.isError()) {
          drain(out, pending);
          pending.append('\uFFFD');
          in.position(in.position() + result.length());
          invalid++;
        } else if (result.isOverflow()) {
          drain(out, pending);
        } else {
          break;
        }
      }
      if (eof) {
        decoder.flush(out);
      }
      drain(out, pending);
      emitFullPieces(pending, pieces);
      in.compact();
    }
    if (pending.length() > 0) {
      pieces.accept(pending.toString());
    }
    return invalid;
  }

  private static void drain(CharBuffer out, StringBuilder pending) {
    out.flip();
    pending.append(out);
    out.clear();
  }

  private void emitFullPieces(StringBuilder pending, Consumer<String> pieces) {
    while (pending.length() > maxChars + 1) {
      int cut = cutPoint(pending);
      pieces.accept(pending.substring(0, cut));
      pending.delete(0, cut);
    }
  }

  private int cutPoint(CharSequence text) {
    for (int i = maxChars; i >= maxChars / 2; i--) {
      if (ByteLevelPreTokenizer.isSafeCut(text, i)) {
        return i;
      }
    }
    int cut = maxChars;
    if (Character.isHighSurrogate(text.charAt(cut - 1))) {
      cut--;
    }
    return cut;
  }
}
