package io.roberta.pipelines.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.pipelines.corpus.Document.Repair;
import io.roberta.spec.SourceSpec.DocumentUnit;
import io.roberta.spec.SourceSpec.InvalidUtf8;
import io.roberta.spec.SourceSpec.Oversized;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts one input file into {@link Document}s while streaming it: a file is never held in memory
 * beyond {@link #MAX_DOCUMENT_BYTES} per document, whatever its size or shape (a 100 MB file
 * without a newline costs one buffer). Every input turns into at least one document, usable or
 * rejected with a {@link DropReason}, so nothing read is lost without being counted.
 *
 * <ul>
 *   <li>A file with no bytes gives one {@link DropReason#EMPTY} document.
 *   <li>A file whose first 8 KiB look binary (see {@link #looksBinary}) gives one
 *       {@link DropReason#BINARY} document and is skipped.
 *   <li>Lines and paragraphs that hold only ASCII whitespace separate documents; they are not
 *       documents themselves.
 *   <li>Invalid UTF-8 drops the document ({@link InvalidUtf8#DROP}, the default) or is replaced
 *       by U+FFFD ({@link InvalidUtf8#REPLACE}; the document carries {@link Repair#UTF8_REPLACED}).
 *   <li>A document over the limit is streamed past and dropped ({@link Oversized#DROP}, the
 *       default) or cut into pieces under the limit ({@link Oversized#SPLIT}): a long line at its
 *       last sentence end, else its last space, else a UTF-8 character boundary; a long paragraph
 *       or file between lines. Each piece carries {@link Repair#SPLIT_PIECE}.
 * </ul>
 *
 * <pre>{@code
 * DocumentReader reader = new DocumentReader("moby-dick", DocumentReader.MAX_DOCUMENT_BYTES);
 * reader.readText("chapter_1.txt", in, DocumentUnit.PARAGRAPH, documents::add);
 * }</pre>
 */
public final class DocumentReader {

  /** The largest document read into memory; longer ones are counted as {@link DropReason#OVERSIZED}. */
  public static final int MAX_DOCUMENT_BYTES = 16 << 20;

  /** How much of a file the binary check looks at (as git does). */
  static final int SNIFF_BYTES = 8192;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String source;
  private final int maxDocumentBytes;
  private final InvalidUtf8 invalidUtf8;
  private final Oversized oversized;

  public DocumentReader(String source, int maxDocumentBytes) {
    this(source, maxDocumentBytes, InvalidUtf8.DROP, Oversized.DROP);
  }

  public DocumentReader(String source, int maxDocumentBytes, InvalidUtf8 invalidUtf8, Oversized oversized) {
    if (maxDocumentBytes < 1) {
      throw new IllegalArgumentException("maxDocumentBytes must be >= 1, got " + maxDocumentBytes);
    }
    this.source = source;
    this.maxDocumentBytes = maxDocumentBytes;
    this.invalidUtf8 = java.util.Objects.requireNonNull(invalidUtf8, "invalidUtf8");
    this.oversized = java.util.Objects.requireNonNull(oversized, "oversized");
  }

  private boolean split() {
    return oversized == Oversized.SPLIT;
  }

  /** The name of the source this reader makes documents for. */
  public String source() {
    return source;
  }

  /** Reads a text file as documents of the given unit. */
  public void readText(String fileId, InputStream raw, DocumentUnit unit, Consumer<Document> out)
      throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    if (rejectWholeFile(fileId, in, out)) {
      return;
    }
    switch (unit) {
      case FILE -> readWholeFile(fileId, in, out);
      case LINE -> readLines(fileId, in, out);
      case PARAGRAPH -> readParagraphs(fileId, in, out);
    }
  }

  /** Reads a JSON Lines file: one document per non-blank line, text in {@code textField}. */
  public void readJsonLines(String fileId, InputStream raw, String textField, Consumer<Document> out)
      throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    if (rejectWholeFile(fileId, in, out)) {
      return;
    }
    LineScanner lines = new LineScanner(in, maxDocumentBytes, false); // a JSON record is never cut
    long lineNo = 0;
    while (lines.next()) {
      lineNo++;
      if (lines.isBlank()) {
        continue;
      }
      String id = fileId + ":" + lineNo;
      long bytes = lines.rawLength();
      if (lines.oversized()) {
        out.accept(Document.rejected(source, id, DropReason.OVERSIZED, bytes));
        continue;
      }
      String json = decode(lines.bytes(), lines.length(), lineNo == 1);
      boolean replaced = false;
      if (json == null && invalidUtf8 == InvalidUtf8.REPLACE) {
        json = decodeReplacing(lines.bytes(), lines.length(), lineNo == 1);
        replaced = true;
      }
      if (json == null) {
        out.accept(Document.rejected(source, id, DropReason.INVALID_UTF8, bytes));
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(json);
      } catch (JsonProcessingException e) {
        out.accept(Document.rejected(source, id, DropReason.INVALID_JSON, bytes));
        continue;
      }
      JsonNode text = node == null ? null : node.get(textField);
      if (text == null || !text.isTextual()) {
        out.accept(Document.rejected(source, id, DropReason.MISSING_FIELD, bytes));
        continue;
      }
      Document d = Document.of(source, id, text.asText(), bytes);
      out.accept(replaced ? d.with(Repair.UTF8_REPLACED) : d);
    }
  }

  /**
   * Reads a whole file (up to the limit) as bytes for a source that parses its own format; returns
   * null after emitting a rejected document when the file is empty, binary or oversized.
   */
  public byte[] readAllBytesOrReject(String fileId, InputStream raw, Consumer<Document> out) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    if (rejectWholeFile(fileId, in, out)) {
      return null;
    }
    Bounded all = readBounded(in);
    if (all.oversized) {
      out.accept(Document.rejected(source, fileId, DropReason.OVERSIZED, all.length));
      return null;
    }
    return Arrays.copyOf(all.bytes, (int) all.length);
  }

  /** Strict UTF-8 decoding; null when the bytes are not valid UTF-8. A leading BOM is dropped. */
  public static String decodeUtf8(byte[] bytes, int length) {
    return decode(bytes, length, true);
  }

  /**
   * True when a file's first bytes look binary rather than text: a NUL byte together with more
   * than 5% control bytes, or more than 30% control bytes. Text with a few stray NULs is text
   * (the NULs are removed by cleaning); UTF-16 text, images and archives are binary.
   */
  static boolean looksBinary(byte[] head, int n) {
    int nul = 0;
    int control = 0;
    for (int i = 0; i < n; i++) {
      int b = head[i] & 0xff;
      if (b == 0) {
        nul++;
      }
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' && b != 0x0b || b == 0x7f) {
        control++;
      }
    }
    return nul > 0 && control * 20 > n || control * 10 > n * 3;
  }

  private boolean rejectWholeFile(String fileId, BufferedInputStream in, Consumer<Document> out) throws IOException {
    in.mark(SNIFF_BYTES + 1);
    byte[] head = in.readNBytes(SNIFF_BYTES);
    in.reset();
    if (head.length == 0) {
      out.accept(Document.rejected(source, fileId, DropReason.EMPTY, 0));
      return true;
    }
    if (looksBinary(head, head.length)) {
      long bytes = 0;
      byte[] skip = new byte[1 << 16];
      for (int n; (n = in.read(skip)) > 0; ) {
        bytes += n;
      }
      out.accept(Document.rejected(source, fileId, DropReason.BINARY, bytes));
      return true;
    }
    return false;
  }

  private void readWholeFile(String fileId, InputStream in, Consumer<Document> out) throws IOException {
    if (split()) {
      byte[] head = in.readNBytes(maxDocumentBytes);
      byte[] more = in.readNBytes(1);
      if (more.length == 0) {
        emitText(fileId, head, head.length, true, head.length, 0, out);
        return;
      }
      // over the limit: the file is cut between lines (long lines at sentence ends), streaming
      InputStream rest = new SequenceInputStream(
          new SequenceInputStream(new ByteArrayInputStream(head), new ByteArrayInputStream(more)), in);
      readPieces(fileId, rest, out, false);
      return;
    }
    Bounded all = readBounded(in);
    if (all.oversized) {
      out.accept(Document.rejected(source, fileId, DropReason.OVERSIZED, all.length));
      return;
    }
    emitText(fileId, all.bytes, (int) all.length, true, all.length, 0, out);
  }

  /**
   * Decodes and emits one document, applying the UTF-8 policy; {@code repairs} are what the
   * caller already did (a split).
   */
  private void emitText(String id, byte[] bytes, int length, boolean stripBom, long raw, int repairs,
      Consumer<Document> out) {
    String text = decode(bytes, length, stripBom);
    if (text == null && invalidUtf8 == InvalidUtf8.REPLACE) {
      text = decodeReplacing(bytes, length, stripBom);
      repairs |= Repair.UTF8_REPLACED.bit();
    }
    out.accept(text == null
        ? Document.rejected(source, id, DropReason.INVALID_UTF8, raw)
        : new Document(source, id, text, null, raw, null, repairs));
  }

  private void readLines(String fileId, InputStream in, Consumer<Document> out) throws IOException {
    LineScanner lines = new LineScanner(in, maxDocumentBytes, split());
    long lineNo = 0;
    int part = 0; // index of the next piece within its line (split policy)
    while (lines.next()) {
      int thisPart = part;
      if (thisPart == 0) {
        lineNo++;
      }
      boolean piece = thisPart > 0 || lines.continues();
      part = lines.continues() ? thisPart + 1 : 0;
      String id = fileId + ":" + lineNo + (piece ? "#" + (thisPart + 1) : "");
      if (lines.isBlank()) {
        continue;
      }
      if (lines.oversized()) {
        out.accept(Document.rejected(source, id, DropReason.OVERSIZED, lines.rawLength()));
        continue;
      }
      emitText(id, lines.bytes(), lines.length(), lineNo == 1 && thisPart == 0, lines.rawLength(),
          piece ? Repair.SPLIT_PIECE.bit() : 0, out);
    }
  }

  private void readParagraphs(String fileId, InputStream in, Consumer<Document> out) throws IOException {
    readPieces(fileId, in, out, true);
  }

  /**
   * Paragraphs (blank lines separate documents) or, with {@code paragraphs} false, the whole
   * stream as one document cut into pieces under the limit.
   */
  private void readPieces(String fileId, InputStream in, Consumer<Document> out, boolean paragraphs)
      throws IOException {
    LineScanner lines = new LineScanner(in, maxDocumentBytes, split());
    Paragraph p = new Paragraph();
    long lineNo = 0;
    boolean midLine = false;
    while (lines.next()) {
      if (!midLine) {
        lineNo++;
      }
      boolean continues = lines.continues();
      if (paragraphs && !midLine && !continues && lines.isBlank()) {
        p.emit(fileId, out);
        continue;
      }
      p.add(lines, midLine, lineNo, fileId, out);
      midLine = continues;
    }
    p.emit(fileId, out);
  }

  /** Lines gathered into one paragraph, bounded like every document. */
  private final class Paragraph {
    byte[] bytes = new byte[1024];
    int length;
    long raw;
    int lines;
    long firstLine;
    boolean oversized;
    int parts; // pieces of this paragraph already emitted (split policy)
    boolean holdsPiece; // holds a piece of a line cut by the scanner (split policy)

    /** Adds line {@code lineNo}, or with {@code joined} the next piece of the same long line. */
    void add(LineScanner line, boolean joined, long lineNo, String fileId, Consumer<Document> out) {
      int separator = lines > 0 && !joined ? 1 : 0;
      if (split() && lines > 0 && (long) length + separator + line.length() > maxDocumentBytes) {
        // what is gathered is one piece; this line starts the next (a scanner piece always fits)
        emitPiece(fileId, out);
        separator = 0;
      }
      if (lines == 0 && parts == 0) {
        firstLine = lineNo; // pieces keep the id of the paragraph they came from
      }
      raw += line.rawLength();
      if (line.oversized() || (long) length + line.length() + separator > maxDocumentBytes) {
        oversized = true;
      }
      if (!oversized) {
        if (separator > 0) {
          append(new byte[] {'\n'}, 1);
        }
        append(line.bytes(), line.length());
      }
      lines++;
      holdsPiece |= line.continues() || joined;
    }

    private void append(byte[] b, int n) {
      if (length + n > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
      }
      System.arraycopy(b, 0, bytes, length, n);
      length += n;
    }

    private void emitPiece(String fileId, Consumer<Document> out) {
      parts++;
      emitText(fileId + ":" + firstLine + "#" + parts, bytes, length, firstLine == 1 && parts == 1,
          raw, Repair.SPLIT_PIECE.bit(), out);
      length = 0;
      raw = 0;
      lines = 0;
      holdsPiece = false;
    }

    void emit(String fileId, Consumer<Document> out) {
      if (lines > 0) {
        if (parts > 0 || holdsPiece) {
          emitPiece(fileId, out);
        } else if (oversized) {
          out.accept(Document.rejected(source, fileId + ":" + firstLine, DropReason.OVERSIZED, raw));
        } else {
          emitText(fileId + ":" + firstLine, bytes, length, firstLine == 1, raw, 0, out);
        }
      }
      length = 0;
      raw = 0;
      lines = 0;
      oversized = false;
      parts = 0;
      holdsPiece = false;
      if (bytes.length > 1 << 20) {
        bytes = new byte[1024];
      }
    }
  }

  private record Bounded(byte[] bytes, long length, boolean oversized) {}

  private Bounded readBounded(InputStream in) throws IOException {
    byte[] buf = in.readNBytes(maxDocumentBytes);
    if (buf.length < maxDocumentBytes) {
      return new Bounded(buf, buf.length, false);
    }
    long total = buf.length;
    byte[] skip = new byte[1 << 16];
    boolean more = false;
    for (int n; (n = in.read(skip)) > 0; ) {
      total += n;
      more = true;
    }
    return more ? new Bounded(null, total, true) : new Bounded(buf, total, false);
  }

  /** Lenient UTF-8 decoding: each malformed sequence becomes U+FFFD. A leading BOM is dropped. */
  private static String decodeReplacing(byte[] bytes, int length, boolean stripBom) {
    int start = stripBom && length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB
        && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
    return new String(bytes, start, length - start, StandardCharsets.UTF_8);
  }

  private static String decode(byte[] bytes, int length, boolean stripBom) {
    int start = 0;
    if (stripBom && length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
      start = 3;
    }
    boolean ascii = true;
    for (int i = start; i < length; i++) {
      if (bytes[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(bytes, start, length - start, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, start, length - start))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * Yields the lines of a stream (without {@code \n} or a trailing {@code \r}), keeping at most
   * {@code limit} bytes of each: a longer line is flagged oversized and streamed past, or with
   * {@code split} returned in pieces of at most {@code limit} bytes ({@link #continues()} is true
   * for every piece but the last), cut after the last sentence end or space in the second half of
   * the piece, else at a UTF-8 character boundary.
   */
  static final class LineScanner {
    private final InputStream in;
    private final int limit;
    private final boolean split;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int end;
    private byte[] line = new byte[256];
    private int length;
    private long rawLength;
    private boolean oversized;
    private boolean continues;
    private byte[] carry = new byte[0];
    private int carryLength;

    LineScanner(InputStream in, int limit) {
      this(in, limit, false);
    }

    LineScanner(InputStream in, int limit, boolean split) {
      this.in = in;
      this.limit = limit;
      this.split = split;
    }

    boolean next() throws IOException {
      length = 0;
      rawLength = 0;
      oversized = false;
      continues = false;
      if (line.length > 1 << 20) {
        line = new byte[256];
      }
      boolean any = false;
      if (carryLength > 0) {
        ensure(carryLength);
        System.arraycopy(carry, 0, line, 0, carryLength);
        length = carryLength;
        rawLength = carryLength;
        carryLength = 0;
        any = true;
      }
      while (true) {
        if (pos >= end) {
          int n = in.read(buf);
          if (n <= 0) {
            trimCarriageReturn();
            return any;
          }
          pos = 0;
          end = n;
        }
        any = true;
        int nl = pos;
        while (nl < end && buf[nl] != '\n') {
          nl++;
        }
        if (split && (long) length + (nl - pos) > limit) {
          int take = limit - length;
          append(pos, take);
          pos += take;
          cutPiece();
          return true;
        }
        append(pos, nl - pos);
        rawLength += nl - pos;
        if (nl < end) {
          pos = nl + 1;
          rawLength++;
          trimCarriageReturn();
          return true;
        }
        pos = end;
      }
    }

    /** The line buffer holds {@code limit} bytes: keeps a piece, carries the rest to the next call. */
    private void cutPiece() {
      int cut = cutPoint(line, length);
      carryLength = length - cut;
      if (carry.length < carryLength) {
        carry = new byte[Math.max(carryLength, 256)];
      }
      System.arraycopy(line, cut, carry, 0, carryLength);
      // a piece accounts for its own bytes; the carried rest is counted with the next piece
      rawLength = cut;
      length = cut;
      continues = true;
    }

    /**
     * Where to cut {@code n} bytes: after the last sentence end ({@code . ! ?} then a space) or
     * else the last space or tab in the second half, else the last UTF-8 character boundary.
     */
    static int cutPoint(byte[] b, int n) {
      int half = n / 2;
      for (int i = n - 1; i > half; i--) {
        if (b[i] == ' ' && (b[i - 1] == '.' || b[i - 1] == '!' || b[i - 1] == '?')) {
          return i + 1;
        }
      }
      for (int i = n - 1; i > half; i--) {
        if (b[i] == ' ' || b[i] == '\t') {
          return i + 1;
        }
      }
      // do not cut inside a multi-byte character: find the last lead byte and its length
      for (int i = n - 1; i >= Math.max(1, n - 4); i--) {
        int c = b[i] & 0xff;
        if ((c & 0xC0) == 0x80) {
          continue;
        }
        int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return i + need > n ? i : n;
      }
      return n;
    }

    private void ensure(int n) {
      if (n > line.length) {
        line = Arrays.copyOf(line, Math.max(line.length * 2, n));
      }
    }

    private void append(int from, int n) {
      if (oversized || n == 0) {
        return;
      }
      if ((long) length + n > limit) {
        oversized = true;
        return;
      }
      ensure(length + n);
      System.arraycopy(buf, from, line, length, n);
      length += n;
    }

    private void trimCarriageReturn() {
      if (!oversized && length > 0 && line[length - 1] == '\r') {
        length--;
      }
    }

    byte[] bytes() {
      return line;
    }

    int length() {
      return length;
    }

    long rawLength() {
      return rawLength;
    }

    boolean oversized() {
      return oversized;
    }

    /** True for a piece of a long line that the next call continues (split mode only). */
    boolean continues() {
      return continues;
    }

    /** Only ASCII whitespace (space, tab, CR, form feed, vertical tab). */
    boolean isBlank() {
      if (oversized) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        byte b = line[i];
        if (b != ' ' && b != '\t' && b != '\r' && b != '\f' && b != 0x0b) {
          return false;
        }
      }
      return true;
    }
  }
}
