package io.roberta.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw data. Reading validates the header against
 * the file; every error names the file and the tensor.
 *
 * <pre>{@code
 * SafeTensors st = SafeTensors.read(dir.resolve("model.safetensors"));
 * float[] bias = st.tensor("lm_head.bias", 64).toFloats();
 * SafeTensors.write(out, st.tensors(), st.metadata());
 * }</pre>
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'");
  /** A header larger than this is not a model header but a corrupt length. */
  private static final long MAX_HEADER_BYTES = 100L << 20;
  /** The largest tensor one Java array holds. */
  private static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

  private final Path file;
  private final Map<String, String> metadata;
  private final Map<String, TensorData> tensors;

  private SafeTensors(Path file, Map<String, String> metadata, Map<String, TensorData> tensors) {
    this.file = file;
    this.metadata = Collections.unmodifiableMap(metadata);
    this.tensors = Collections.unmodifiableMap(tensors);
  }

  /** The file this was read from. */
  public Path file() {
    return file;
  }

  /** The {@code __metadata__} string map (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Every tensor, in the order of their data in the file. */
  public Map<String, TensorData> tensors() {
    return tensors;
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** The named tensor; a missing one fails naming the file and the tensor. */
  public TensorData tensor(String name) {
    TensorData t = tensors.get(name);
    if (t == null) {
      throw new ModelFileException(file, name, "missing tensor (the file holds " + tensors.size()
          + " tensors" + (tensors.isEmpty() ? "" : ", e.g. " + tensors.keySet().iterator().next())
          + ")");
    }
    return t;
  }

  /** The named tensor, which must have {@code expectedShape}. */
  public TensorData tensor(String name, long... expectedShape) {
    TensorData t = tensor(name);
    if (!Arrays.equals(t.shape(), expectedShape)) {
      throw new ModelFileException(file, name, "wrong shape " + Arrays.toString(t.shape())
          + ", the model expects " + Arrays.toString(expectedShape));
    }
    return t;
  }

  /** Reads and validates a whole file. */
  public static SafeTensors read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < 8) {
        throw new ModelFileException(file, null, "truncated: " + fileSize
            + " bytes, but a safetensors file starts with an 8-byte header length");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength < 2 || headerLength > fileSize - 8 || headerLength > MAX_HEADER_BYTES) {
        throw new ModelFileException(file, null, "header length " + headerLength
            + " is beyond the file of " + fileSize + " bytes (truncated or not safetensors)");
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header;
      try {
        header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
      } catch (JsonProcessingException e) {
        String duplicate = duplicateKey(e);
        if (duplicate != null) {
          throw new ModelFileException(file, duplicate, "the header names this tensor twice;"
              + " each tensor must appear once", e);
        }
        throw new ModelFileException(file, null, "header is not valid JSON: "
            + e.getOriginalMessage(), e);
      }
      if (header == null || !header.isObject()) {
        throw new ModelFileException(file, null, "header is not a JSON object");
      }
      long dataStart = 8 + headerLength;
      long dataLength = fileSize - dataStart;
      Map<String, String> metadata = new LinkedHashMap<>();
      List<Map.Entry<String, long[]>> ranges = new ArrayList<>();
      Map<String, DType> types = new LinkedHashMap<>();
      Map<String, long[]> shapes = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String name = e.getKey();
        JsonNode entry = e.getValue();
        if (name.equals("__metadata__")) {
          if (!entry.isObject()) {
            throw new ModelFileException(file, name, "must be an object of strings, got "
                + abbreviate(entry));
          }
          for (Iterator<Map.Entry<String, JsonNode>> m = entry.fields(); m.hasNext(); ) {
            Map.Entry<String, JsonNode> kv = m.next();
            if (!kv.getValue().isTextual()) {
              throw new ModelFileException(file, name + "." + kv.getKey(),
                  "metadata values must be strings, got " + abbreviate(kv.getValue()));
            }
            metadata.put(kv.getKey(), kv.getValue().asText());
          }
          continue;
        }
        if (!entry.isObject()) {
          throw new ModelFileException(file, name, "header entry must be an object with dtype,"
              + " shape and data_offsets, got " + abbreviate(entry));
        }
        JsonNode dtypeNode = entry.path("dtype");
        if (!dtypeNode.isTextual()) {
          throw new ModelFileException(file, name, "header entry has no dtype string");
        }
        String dtypeName = dtypeNode.asText();
        DType dtype = DType.parse(dtypeName).orElseThrow(() -> new ModelFileException(file, name,
            "unknown dtype " + abbreviate(dtypeNode) + " (readable: "
                + Arrays.toString(DType.values()) + ")"));
        long[] shape = longs(file, name, entry.path("shape"), "shape", -1);
        long[] offsets = longs(file, name, entry.path("data_offsets"), "data_offsets", 2);
        long bytes;
        try {
          bytes = Math.multiplyExact(TensorData.elementCount(shape), dtype.bytes());
        } catch (IllegalArgumentException | ArithmeticException ex) {
          throw new ModelFileException(file, name, "invalid shape " + Arrays.toString(shape)
              + ": dimensions must be non-negative and the tensor at most " + Long.MAX_VALUE
              + " bytes");
        }
        long span = offsets[1] - offsets[0];
        if (offsets[0] < 0 || span < 0) {
          throw new ModelFileException(file, name, "invalid data_offsets "
              + Arrays.toString(offsets) + ": must be [begin, end] with 0 <= begin <= end");
        }
        if (span != bytes) {
          throw new ModelFileException(file, name, "shape " + Arrays.toString(shape) + " of "
              + dtype + " needs " + bytes + " bytes but data_offsets "
              + Arrays.toString(offsets) + " span " + span);
        }
        if (offsets[1] > dataLength) {
          throw new ModelFileException(file, name, "truncated: the tensor ends at byte "
              + offsets[1] + " of the data but the file holds only " + dataLength
              + " data bytes");
        }
        if (span > MAX_TENSOR_BYTES) {
          throw new ModelFileException(file, name, "tensor of " + span + " bytes is larger than"
              + " this reader holds in one array (" + MAX_TENSOR_BYTES + " bytes)");
        }
        types.put(name, dtype);
        shapes.put(name, shape);
        ranges.add(Map.entry(name, offsets));
      }
      // As the reference crate: in data order the ranges tile the data exactly, so no two tensors
      // share bytes and no byte is read twice (a header pointing 200 tensors at one range would
      // otherwise ask for 200 copies).
      ranges.sort(Comparator.<Map.Entry<String, long[]>>comparingLong(r -> r.getValue()[0])
          .thenComparingLong(r -> r.getValue()[1]));
      long expectedBegin = 0;
      String previous = null;
      for (Map.Entry<String, long[]> r : ranges) {
        long[] offsets = r.getValue();
        if (offsets[0] != expectedBegin) {
          throw new ModelFileException(file, r.getKey(), "data_offsets "
              + Arrays.toString(offsets) + " " + (offsets[0] < expectedBegin
                  ? "overlap the bytes of " + previous : "leave a gap after "
                  + (previous == null ? "the header" : previous))
              + "; tensors must tile the data contiguously, so this one should begin at byte "
              + expectedBegin);
        }
        expectedBegin = offsets[1];
        previous = r.getKey();
      }
      if (expectedBegin != dataLength) {
        throw new ModelFileException(file, previous, "the tensors cover " + expectedBegin
            + " data bytes but the file holds " + dataLength
            + " after the header (trailing bytes or a damaged header)");
      }
      Map<String, TensorData> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> r : ranges) {
        long[] offsets = r.getValue();
        ByteBuffer data = ByteBuffer.allocate((int) (offsets[1] - offsets[0]));
        readFully(channel, data, dataStart + offsets[0]);
        tensors.put(r.getKey(),
            new TensorData(types.get(r.getKey()), shapes.get(r.getKey()), data.array()));
      }
      return new SafeTensors(file, metadata, tensors);
    }
  }

  /** The key Jackson's strict duplicate detection names, or null for another JSON error. */
  private static String duplicateKey(JsonProcessingException e) {
    Matcher m = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
    return m.find() ? m.group(1) : null;
  }

  private static String abbreviate(JsonNode node) {
    String text = String.valueOf(node);
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }

  /**
   * The named tensor as floats, which must have {@code expectedShape}, a floating-point dtype
   * and only finite values; each failure names the file, the tensor and (for a NaN or infinity)
   * the first bad element.
   */
  public float[] finiteFloats(String name, long... expectedShape) {
    TensorData t = tensor(name, expectedShape);
    if (!t.dtype().isFloatingPoint()) {
      throw new ModelFileException(file, name, "dtype " + t.dtype()
          + " is not floating point; a weight must be F32, F16 or BF16");
    }
    float[] values = t.toFloats();
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        int bad = 0;
        for (float v : values) {
          bad += Float.isFinite(v) ? 0 : 1;
        }
        throw new ModelFileException(file, name, bad + " of " + values.length
            + " values are NaN or infinite (first: element " + i + " = " + values[i]
            + "); the weights are damaged or came from a diverged run");
      }
    }
    return values;
  }

  private static long[] longs(Path file, String name, JsonNode node, String field, int length) {
    if (!node.isArray() || (length >= 0 && node.size() != length)) {
      throw new ModelFileException(file, name, field + " must be an array"
          + (length >= 0 ? " of " + length + " integers" : " of integers") + ", got " + node);
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      if (!node.get(i).canConvertToLong() || !node.get(i).isIntegralNumber()) {
        throw new ModelFileException(file, name, field + " holds " + abbreviate(node.get(i))
            + ", not an integer in [0, " + Long.MAX_VALUE + "]");
      }
      out[i] = node.get(i).asLong();
    }
    return out;
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position)
      throws IOException {
    long at = position;
    while (into.hasRemaining()) {
      int n = channel.read(into, at);
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + at);
      }
      at += n;
    }
  }

  /**
   * Writes {@code tensors} in their iteration order (see {@link #hfOrder}) with the given
   * metadata, header padded with spaces to a multiple of 8 bytes as the reference implementation
   * does.
   */
  public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      TensorData t = e.getValue();
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", t.dtype().name());
      ArrayNode shape = entry.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      ArrayNode offsets = entry.putArray("data_offsets");
      offsets.add(offset);
      offset += t.data().length;
      offsets.add(offset);
    }
    byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] headerBytes = Arrays.copyOf(json, padded);
    Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      length.putLong(padded).flip();
      writeFully(channel, length);
      writeFully(channel, ByteBuffer.wrap(headerBytes));
      for (TensorData t : tensors.values()) {
        writeFully(channel, ByteBuffer.wrap(t.data()));
      }
    }
  }

  /** Position of the type in the Rust crate's {@code Dtype} enum, which orders the data. */
  private static int rustDtypeRank(DType t) {
    return switch (t) {
      case F16 -> 7;
      case BF16 -> 8;
      case I32 -> 9;
      case F32 -> 11;
      case I64 -> 13;
    };
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /**
   * The order the reference implementation (the Rust {@code safetensors} crate) lays tensors out
   * in: by its dtype enum descending (I64, F32, I32, BF16, F16), then by name. Writing in this
   * order reproduces files written by Hugging Face byte for byte.
   */
  public static Map<String, TensorData> hfOrder(Map<String, TensorData> tensors) {
    List<Map.Entry<String, TensorData>> entries = new ArrayList<>(tensors.entrySet());
    entries.sort(Comparator.<Map.Entry<String, TensorData>>comparingInt(
            e -> -rustDtypeRank(e.getValue().dtype()))
        .thenComparing(Map.Entry::getKey));
    Map<String, TensorData> out = new LinkedHashMap<>();
    entries.forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }
}
