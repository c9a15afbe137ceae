package io.roberta.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RobertaForSequenceClassification;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  static final Path MLM = Path.of("src/test/resources/tiny-roberta/mlm");
  static final Path CLS = Path.of("src/test/resources/tiny-roberta/cls");
  static final Path WEIGHTS = MLM.resolve("model.safetensors");

  @TempDir Path tmp;
  private int models;

  @Test
  void fixtureSavedByTheModelLoadsAgainBitIdentically() throws IOException {
    RobertaForMaskedLM model = RobertaForMaskedLM.load(MLM, new Nd4jKernels(KernelPrecision.FP32));
    Path out = tmp.resolve("saved");
    model.save(out);
    SafeTensors original = SafeTensors.read(WEIGHTS);
    SafeTensors saved = SafeTensors.read(out.resolve("model.safetensors"));
    assertEquals(original.tensors(), saved.tensors());
    // written in the reference crate's order and format: the very same bytes
    assertArrayEquals(Files.readAllBytes(WEIGHTS),
        Files.readAllBytes(out.resolve("model.safetensors")));
    assertTrue(!saved.contains("lm_head.decoder.weight"), "tied decoder weight is not written");
    HfConfig config = HfConfig.read(out.resolve("config.json"));
    assertEquals(HfConfig.read(MLM.resolve("config.json")).spec(), config.spec());
    assertEquals("RobertaForMaskedLM", config.architecture());
  }

  @Test
  void classifierRoundTrip() throws IOException {
    RobertaForSequenceClassification model =
        RobertaForSequenceClassification.load(CLS, new Nd4jKernels(KernelPrecision.FP32));
    model.save(tmp);
    assertEquals(SafeTensors.read(CLS.resolve("model.safetensors")).tensors(),
        SafeTensors.read(tmp.resolve("model.safetensors")).tensors());
    assertEquals(3, HfConfig.read(tmp.resolve("config.json")).numLabels());
  }

  @Test
  void everyDtypeRoundTrips() throws IOException {
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    tensors.put("f32", TensorData.ofFloats(new float[] {1.5f, -2f, Float.MIN_VALUE}, 3));
    tensors.put("i64", TensorData.ofLongs(new long[] {Long.MIN_VALUE, 7}, 2, 1));
    // 1.0, -2.0, 65504 (max), smallest subnormal, +inf
    tensors.put("f16", new TensorData(DType.F16, new long[] {5},
        bytes(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00)));
    tensors.put("bf16", new TensorData(DType.BF16, new long[] {2}, bytes(0x3f80, 0xc040)));
    tensors.put("i32", new TensorData(DType.I32, new long[] {1}, new byte[] {0, 0, 0, (byte) 0x80}));
    Path file = tmp.resolve("all.safetensors");
    SafeTensors.write(file, tensors, Map.of("format", "pt"));
    SafeTensors read = SafeTensors.read(file);
    assertEquals(tensors, read.tensors());
    assertEquals(Map.of("format", "pt"), read.metadata());
    assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY},
        read.tensor("f16").toFloats());
    assertArrayEquals(new float[] {1f, -3f}, read.tensor("bf16").toFloats());
    assertArrayEquals(new long[] {Integer.MIN_VALUE}, read.tensor("i32").toLongs());
  }

  private static byte[] bytes(int... halves) {
    ByteBuffer b = ByteBuffer.allocate(halves.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int h : halves) {
      b.putShort((short) h);
    }
    return b.array();
  }

  // ---- corrupt files: each error names the file and the tensor or field ----------------------

  private static void assertFailsNaming(Path file, String item, Executable load) {
    ModelFileException e = assertThrows(ModelFileException.class, load);
    assertTrue(e.getMessage().contains(file.getFileName().toString()),
        "message names the file: " + e.getMessage());
    if (item != null) {
      assertEquals(item, e.item(), e.getMessage());
      assertTrue(e.getMessage().contains(item), e.getMessage());
    }
  }

  @Test
  void truncatedFileNamesTheTensorThatRunsPastTheEnd() throws IOException {
    byte[] all = Files.readAllBytes(WEIGHTS);
    Path file = tmp.resolve("truncated.safetensors");
    Files.write(file, Arrays.copyOf(all, all.length - 100));
    // the last tensor in data order is the one cut short
    assertFailsNaming(file, "roberta.encoder.layer.1.output.dense.weight",
        () -> SafeTensors.read(file));
    Path tiny = tmp.resolve("tiny.safetensors");
    Files.write(tiny, new byte[] {1, 2, 3});
    assertFailsNaming(tiny, null, () -> SafeTensors.read(tiny));
  }

  @Test
  void headerLengthBeyondTheFile() throws IOException {
    byte[] all = Files.readAllBytes(WEIGHTS);
    ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, all.length);
    Path file = tmp.resolve("long-header.safetensors");
    Files.write(file, all);
    ModelFileException e = assertThrows(ModelFileException.class, () -> SafeTensors.read(file));
    assertTrue(e.getMessage().contains("long-header.safetensors")
        && e.getMessage().contains("header length " + all.length), e.getMessage());
  }

  @Test
  void unknownDtype() throws IOException {
    String all = new String(Files.readAllBytes(WEIGHTS), StandardCharsets.ISO_8859_1);
    String target = "\"lm_head.dense.bias\":{\"dtype\":\"F32\"";
    assertTrue(all.contains(target));
    byte[] changed = all.replace(target, target.replace("F32", "Q32"))
        .getBytes(StandardCharsets.ISO_8859_1);
    Path file = tmp.resolve("dtype.safetensors");
    Files.write(file, changed);
    assertFailsNaming(file, "lm_head.dense.bias", () -> SafeTensors.read(file));
  }

  @Test
  void shapeThatDisagreesWithItsByteRange() throws IOException {
    String all = new String(Files.readAllBytes(WEIGHTS), StandardCharsets.ISO_8859_1);
    String target = "\"lm_head.bias\":{\"dtype\":\"F32\",\"shape\":[64]";
    byte[] changed = all.replace(target, target.replace("[64]", "[65]"))
        .getBytes(StandardCharsets.ISO_8859_1);
    Path file = tmp.resolve("range.safetensors");
    Files.write(file, changed);
    assertFailsNaming(file, "lm_head.bias", () -> SafeTensors.read(file));
  }

  /** Copies the fixture model with one tensor replaced (or dropped when {@code value} is null). */
  private Path modelWith(String name, TensorData value) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("model-" + name + "-" + (++models)));
    Files.copy(MLM.resolve("config.json"), dir.resolve("config.json"));
    Map<String, TensorData> tensors = new LinkedHashMap<>(SafeTensors.read(WEIGHTS).tensors());
    if (value == null) {
      tensors.remove(name);
    } else {
      tensors.put(name, value);
    }
    SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    return dir;
  }

  @Test
  void wrongShapeForTheModel() throws IOException {
    Path dir = modelWith("lm_head.dense.weight", TensorData.ofFloats(new float[32 * 16], 32, 16));
    assertFailsNaming(dir.resolve("model.safetensors"), "lm_head.dense.weight",
        () -> RobertaForMaskedLM.load(dir, new Nd4jKernels(KernelPrecision.FP32)));
  }

  @Test
  void missingTensor() throws IOException {
    String name = "roberta.encoder.layer.1.attention.self.value.bias";
    Path dir = modelWith(name, null);
    assertFailsNaming(dir.resolve("model.safetensors"), name,
        () -> RobertaForMaskedLM.load(dir, new Nd4jKernels(KernelPrecision.FP32)));
  }

  @Test
  void configWhoseHeadsDoNotDivideTheHiddenSize() throws IOException {
    Path file = tmp.resolve("config.json");
    Files.writeString(file, Files.readString(MLM.resolve("config.json"))
        .replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"));
    assertFailsNaming(file, "num_attention_heads", () -> HfConfig.read(file));
  }

  @Test
  void configWithAnInvalidValueNamesTheHfField() throws IOException {
    Path file = tmp.resolve("config.json");
    Files.writeString(file, Files.readString(MLM.resolve("config.json"))
        .replace("\"layer_norm_eps\": 1e-05", "\"layer_norm_eps\": -1"));
    assertFailsNaming(file, "layer_norm_eps", () -> HfConfig.read(file));
    Files.writeString(file, Files.readString(MLM.resolve("config.json"))
        .replace("\"hidden_size\": 32,", ""));
    assertFailsNaming(file, "hidden_size", () -> HfConfig.read(file));
  }

  // ---- hostile headers (issue 16): validate before allocating ---------------------------------

  /** Writes a file with the given JSON header (padded) and {@code dataBytes} zero bytes. */
  private Path hostile(String name, String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    Path file = tmp.resolve(name);
    Files.write(file, b.array());
    return file;
  }

  @Test
  void manyTensorsPointingAtTheSameBytesAreRefusedBeforeAnyCopy() throws IOException {
    // 200 tensors of 4 MB each over one 4 MB range: before, 800 MB were allocated (OOM at scale)
    StringBuilder header = new StringBuilder("{");
    for (int i = 0; i < 200; i++) {
      header.append(i == 0 ? "" : ",").append("\"t").append(i)
          .append("\":{\"dtype\":\"F32\",\"shape\":[1048576],\"data_offsets\":[0,4194304]}");
    }
    Path file = hostile("overlap.safetensors", header.append("}").toString(), 4 << 20);
    ModelFileException e = assertThrows(ModelFileException.class, () -> SafeTensors.read(file));
    assertTrue(e.getMessage().contains("overlap.safetensors")
        && e.getMessage().contains("overlap the bytes of t"), e.getMessage());
    assertTrue(e.item().startsWith("t"), e.getMessage());
  }

  @Test
  void duplicateKeysAreRefusedNamingTheTensor() throws IOException {
    Path file = hostile("dup.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    assertFailsNaming(file, "a", () -> SafeTensors.read(file));
  }

  @Test
  void gapsAndTrailingBytesAreRefused() throws IOException {
    Path gap = hostile("gap.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
    assertFailsNaming(gap, "b", () -> SafeTensors.read(gap));
    Path trailing = hostile("trailing.safetensors",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12);
    assertFailsNaming(trailing, "a", () -> SafeTensors.read(trailing));
  }

  @Test
  void elementCountTimesBytesOverflowIsCaught() throws IOException {
    // 2^61 elements of 8 bytes is 2^64 bytes: wraps to 0 without checked arithmetic
    Path file = hostile("overflow.safetensors",
        "{\"a\":{\"dtype\":\"I64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", 0);
    assertFailsNaming(file, "a", () -> SafeTensors.read(file));
  }

  @Test
  void nonObjectEntriesAndMetadataAreRefused() throws IOException {
    Path entry = hostile("entry.safetensors", "{\"a\":[1,2]}", 0);
    assertFailsNaming(entry, "a", () -> SafeTensors.read(entry));
    Path meta = hostile("meta.safetensors", "{\"__metadata__\":{\"format\":7}}", 0);
    assertFailsNaming(meta, "__metadata__.format", () -> SafeTensors.read(meta));
  }

  @Test
  void floatTensorRelabelledI32FailsNamingFileAndTensor() throws IOException {
    String all = new String(Files.readAllBytes(WEIGHTS), StandardCharsets.ISO_8859_1);
    String target = "\"lm_head.bias\":{\"dtype\":\"F32\"";
    Path dir = Files.createDirectories(tmp.resolve("relabelled"));
    Files.copy(MLM.resolve("config.json"), dir.resolve("config.json"));
    Files.write(dir.resolve("model.safetensors"), all.replace(target, target.replace("F32", "I32"))
        .getBytes(StandardCharsets.ISO_8859_1));
    assertFailsNaming(dir.resolve("model.safetensors"), "lm_head.bias",
        () -> RobertaForMaskedLM.load(dir, new Nd4jKernels(KernelPrecision.FP32)));
  }

  @Test
  void nanWeightsFailTheLoadNamingTheTensor() throws IOException {
    float[] values = new float[64];
    values[5] = Float.NaN;
    Path dir = modelWith("lm_head.bias", TensorData.ofFloats(values, 64));
    ModelFileException e = assertThrows(ModelFileException.class,
        () -> RobertaForMaskedLM.load(dir, new Nd4jKernels(KernelPrecision.FP32)));
    assertEquals("lm_head.bias", e.item());
    assertTrue(e.getMessage().contains("model.safetensors")
        && e.getMessage().contains("element 5"), e.getMessage());
    values[5] = Float.NEGATIVE_INFINITY;
    Path inf = modelWith("lm_head.bias", TensorData.ofFloats(values, 64));
    assertFailsNaming(inf.resolve("model.safetensors"), "lm_head.bias",
        () -> RobertaForMaskedLM.load(inf, new Nd4jKernels(KernelPrecision.FP32)));
  }

  /**
   * A few thousand random mutations of the fixture (bytes flipped, header bytes rewritten,
   * truncated, extended): each either reads equal to the original or fails with
   * {@link ModelFileException}; nothing else, no OutOfMemoryError, bounded time.
   */
  @Test
  void fuzzedFilesReadEqualOrFailWithTheReadersOwnException() throws IOException {
    byte[] original = Files.readAllBytes(WEIGHTS);
    Map<String, TensorData> expected = SafeTensors.read(WEIGHTS).tensors();
    long headerLength = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    java.util.SplittableRandom random = new java.util.SplittableRandom(16);
    Path file = tmp.resolve("fuzz.safetensors");
    int loaded = 0;
    int refused = 0;
    long deadline = System.nanoTime() + 60_000_000_000L;
    for (int i = 0; i < 3000 && System.nanoTime() < deadline; i++) {
      byte[] mutated = Fuzz.mutate(original, (int) (8 + headerLength), random);
      Files.write(file, mutated);
      try {
        SafeTensors read = SafeTensors.read(file);
        loaded++;
        // a mutation may change values or rename a tensor, but the layout still tiles the data
        assertEquals(expected.size(), read.tensors().size(), "mutation " + i);
        assertEquals(original.length - 8 - headerLength, read.tensors().values().stream()
            .mapToLong(t -> t.data().length).sum(), "mutation " + i);
      } catch (ModelFileException e) {
        refused++;
        assertTrue(e.getMessage().contains("fuzz.safetensors"), e.getMessage());
      }
    }
    assertTrue(refused > 100 && loaded > 10, "loaded " + loaded + ", refused " + refused);
  }

  @Test
  void configSizesAreBoundedWithCheckedArithmetic() throws IOException {
    Path file = tmp.resolve("config.json");
    Files.writeString(file, Files.readString(MLM.resolve("config.json"))
        .replace("\"hidden_size\": 32,", "\"hidden_size\": 2000000000,")
        .replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 1"));
    assertFailsNaming(file, "hidden_size", () -> HfConfig.read(file));
    Files.writeString(file, Files.readString(MLM.resolve("config.json"))
        .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1000000000"));
    assertFailsNaming(file, "num_hidden_layers", () -> HfConfig.read(file));
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode config =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(MLM.resolve("config.json").toFile());
    config.remove("id2label");
    config.put("num_labels", 0);
    json.writeValue(file.toFile(), config);
    assertFailsNaming(file, "num_labels", () -> HfConfig.read(file));
    config.put("num_labels", 2_000_000_000);
    json.writeValue(file.toFile(), config);
    assertFailsNaming(file, "num_labels", () -> HfConfig.read(file));
  }
}
