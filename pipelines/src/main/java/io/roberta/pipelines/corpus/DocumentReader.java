package io.roberta.pipelines.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.spec.SourceSpec.DocumentUnit;
import java.io.BufferedInputStream;
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

  public DocumentReader(String source, int maxDocumentBytes) {
    if (maxDocumentBytes < 1) {
      throw new IllegalArgumentException("maxDocumentBytes must be >= 1, got " + maxDocumentBytes);
    }
    this.source = source;
    this.maxDocumentBytes = maxDocumentBytes;
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
    LineScanner lines = new LineScanner(in, maxDocumentBytes);
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
      out.accept(Document.of(source, id, text.asText(), bytes));
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
    Bounded all = readBounded(in);
    if (all.oversized) {
      out.accept(Document.rejected(source, fileId, DropReason.OVERSIZED, all.length));
      return;
    }
    String text = decode(all.bytes, (int) all.length, true);
    out.accept(
        text == null
            ? Document.rejected(source, fileId, DropReason.INVALID_UTF8, all.length)
            : Document.of(source, fileId, text, all.length));
  }

  private void readLines(String fileId, InputStream in, Consumer<Document> out) throws IOException {
    LineScanner lines = new LineScanner(in, maxDocumentBytes);
    long lineNo = 0;
    while (lines.next()) {
      lineNo++;
      if (lines.isBlank()) {
        continue;
      }
      String id = fileId + ":" + lineNo;
      if (lines.oversized()) {
        out.accept(Document.rejected(source, id, DropReason.OVERSIZED, lines.rawLength()));
        continue;
      }
      String text = decode(lines.bytes(), lines.length(), lineNo == 1);
      out.accept(
          text == null
              ? Document.rejected(source, id, DropReason.INVALID_UTF8, lines.rawLength())
              : Document.of(source, id, text, lines.rawLength()));
    }
  }

  private void readParagraphs(String fileId, InputStream in, Consumer<Document> out) throws IOException {
    LineScanner lines = new LineScanner(in, maxDocumentBytes);
    Paragraph p = new Paragraph();
    long lineNo = 0;
    while (lines.next()) {
      lineNo++;
      if (lines.isBlank()) {
        p.emit(fileId, out);
        continue;
      }
      if (p.lines == 0) {
        p.firstLine = lineNo;
      }
      p.add(lines);
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

    void add(LineScanner line) {
      raw += line.rawLength();
      if (line.oversized() || (long) length + line.length() + 1 > maxDocumentBytes) {
        oversized = true;
      }
      if (!oversized) {
        if (lines > 0) {
          append(new byte[] {'\n'}, 1);
        }
        append(line.bytes(), line.length());
      }
      lines++;
    }

    private void append(byte[] b, int n) {
      if (length + n > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
      }
      System.arraycopy(b, 0, bytes, length, n);
      length += n;
    }

    void emit(String fileId, Consumer<Document> out) {
      if (lines == 0) {
        return;
      }
      String id = fileId + ":" + firstLine;
      if (oversized) {
        out.accept(Document.rejected(source, id, DropReason.OVERSIZED, raw));
      } else {
        String text = decode(bytes, length, firstLine == 1);
        out.accept(
            text == null
                ? Document.rejected(source, id, DropReason.INVALID_UTF8, raw)
                : Document.of(source, id, text, raw));
      }
      length = 0;
      raw = 0;
      lines = 0;
      oversized = false;
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
   * {@code limit} bytes of each: a longer line is flagged oversized and streamed past.
   */
  static final class LineScanner {
    private final InputStream in;
    private final int limit;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int end;
    private byte[] line = new byte[256];
    private int length;
    private long rawLength;
    private boolean oversized;

    LineScanner(InputStream in, int limit) {
      this.in = in;
      this.limit = limit;
    }

    boolean next() throws IOException {
      length = 0;
      rawLength = 0;
      oversized = false;
      if (line.length > 1 << 20) {
        line = new byte[256];
      }
      boolean any = false;
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

    private void append(int from, int n) {
      if (oversized || n == 0) {
        return;
      }
      if ((long) length + n > limit) {
        oversized = true;
        return;
      }
      if (length + n > line.length) {
        line = Arrays.copyOf(line, Math.max(line.length * 2, length + n));
      }
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
