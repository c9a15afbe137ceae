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
    Path dir = Files.createDirectories(tmp.resolve("model-" + name));
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
}
