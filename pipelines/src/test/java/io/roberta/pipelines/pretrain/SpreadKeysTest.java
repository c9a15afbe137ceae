package io.roberta.pipelines.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.runners.flink.translation.types.EncodedValueComparator;
import org.apache.beam.runners.flink.translation.types.KvKeySelector;
import org.apache.beam.runners.flink.translation.types.WindowedKvKeySelector;
import org.apache.beam.runners.flink.translation.wrappers.streaming.FlinkKeyUtils;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.flink.api.common.typeutils.TypeComparator;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.runtime.TupleComparator;
import org.apache.flink.runtime.operators.shipping.OutputEmitter;
import org.apache.flink.runtime.operators.shipping.ShipStrategyType;
import org.apache.flink.runtime.plugable.SerializationDelegate;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.util.MathUtils;
import org.junit.jupiter.api.Test;

/** SpreadKeys against Flink's and Beam's own classes (no cluster). */
class SpreadKeysTest {

  /** The DataSet hash exchange exactly as the runtime builds it: key selector, tuple comparator, emitter. */
  private static int flinkDataSetChannel(int key, int parallelism) throws Exception {
    byte[] keyBytes = new WindowedKvKeySelector<String, Integer>(VarIntCoder.of(), GlobalWindow.Coder.INSTANCE)
        .getKey(WindowedValue.valueInGlobalWindow(KV.of(key, "v")));
    // Reshuffle.of() and the GroupCombine path use KvKeySelector: same bytes in the global window
    assertEquals(Arrays.toString(keyBytes), Arrays.toString(new KvKeySelector<String, Integer>(VarIntCoder.of())
        .getKey(WindowedValue.valueInGlobalWindow(KV.of(key, "v")))));
    @SuppressWarnings({"unchecked", "rawtypes"})
    TupleComparator<Tuple2<byte[], String>> comparator = new TupleComparator<>(
        new int[] {0}, new TypeComparator[] {new EncodedValueComparator(true)}, new TypeSerializer[] {null});
    OutputEmitter<Tuple2<byte[], String>> emitter = new OutputEmitter<>(ShipStrategyType.PARTITION_HASH, comparator);
    emitter.setup(parallelism);
    SerializationDelegate<Tuple2<byte[], String>> record = new SerializationDelegate<>(null);
    record.setInstance(Tuple2.of(keyBytes, "v"));
    return emitter.selectChannel(record);
  }

  @Test
  void murmurAndDefaultMaxParallelismAreFlinks() {
    for (int i = -100_000; i < 100_000; i += 7) {
      assertEquals(MathUtils.murmurHash(i), SpreadKeys.murmurHash(i));
    }
    for (int x : new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1, 1}) {
      assertEquals(MathUtils.murmurHash(x), SpreadKeys.murmurHash(x));
    }
    for (int p = 1; p <= 40_000; p++) {
      assertEquals(KeyGroupRangeAssignment.computeDefaultMaxParallelism(Math.min(p, 32768)),
          SpreadKeys.defaultMaxParallelism(Math.min(p, 32768)), "p=" + p);
    }
  }

  @Test
  void dataSetFormulaMatchesOutputEmitter() throws Exception {
    for (int p = 1; p <= 64; p++) {
      for (int key = -300; key < 3000; key++) {
        assertEquals(flinkDataSetChannel(key, p), SpreadKeys.subtaskOf(key, p), "key=" + key + " p=" + p);
      }
    }
  }

  @Test
  void stringKeysUseTheirOuterEncoding() throws Exception {
    // StringUtf8Coder in the OUTER context: the raw UTF-8 bytes, no length prefix
    byte[] b = CoderUtils.encodeToByteArray(StringUtf8Coder.of(), "worker-3");
    assertEquals("worker-3".length(), b.length);
  }

  @Test
  void keyGroupFormulaMatchesKeyGroupRangeAssignment() {
    for (int p : new int[] {1, 2, 3, 4, 7, 8, 16, 100}) {
      for (int maxP : new int[] {KeyGroupRangeAssignment.computeDefaultMaxParallelism(p), 128, 1000, 32768}) {
        if (maxP < p) continue;
        for (int key = -300; key < 3000; key++) {
          int flink = KeyGroupRangeAssignment.assignKeyToParallelOperator(
              FlinkKeyUtils.encodeKey(key, VarIntCoder.of()), maxP, p);
          assertEquals(flink, SpreadKeys.subtaskOfKeyGroups(key, p, maxP), "key=" + key + " p=" + p + " maxP=" + maxP);
        }
      }
    }
  }

  @Test
  void keysLandOnSubtasksZeroToKMinusOne() throws Exception {
    for (int p = 1; p <= 256; p++) {
      for (int k : new int[] {1, Math.max(1, p / 2), p}) {
        int[] keys = SpreadKeys.keysFor(k, p);
        Set<Integer> subtasks = new HashSet<>();
        for (int i = 0; i < k; i++) {
          assertEquals(i, flinkDataSetChannel(keys[i], p));
          subtasks.add(flinkDataSetChannel(keys[i], p));
        }
        assertEquals(k, subtasks.size());
        int maxP = KeyGroupRangeAssignment.computeDefaultMaxParallelism(p);
        int[] ds = SpreadKeys.keysForKeyGroups(k, p, maxP);
        for (int i = 0; i < k; i++) {
          assertEquals(i, KeyGroupRangeAssignment.assignKeyToParallelOperator(
              FlinkKeyUtils.encodeKey(ds[i], VarIntCoder.of()), maxP, p));
        }
      }
    }
    assertThrows(IllegalArgumentException.class, () -> SpreadKeys.keysFor(5, 4));
  }

  @Test
  void printNaiveVersusChosen() throws Exception {
    for (int p : new int[] {2, 4, 8, 16}) {
      int[] naive = new int[p];
      for (int k = 0; k < p; k++) naive[k] = flinkDataSetChannel(k, p);
      int maxP = KeyGroupRangeAssignment.computeDefaultMaxParallelism(p);
      int[] naiveDs = new int[p];
      for (int k = 0; k < p; k++) naiveDs[k] = SpreadKeys.subtaskOfKeyGroups(k, p, maxP);
      System.out.printf("P=%d DataSet: keys 0..%d -> subtasks %s; keysFor=%s | DataStream(maxP=%d): keys 0..%d -> %s; keysForKeyGroups=%s%n",
          p, p - 1, Arrays.toString(naive), Arrays.toString(SpreadKeys.keysFor(p, p)),
          maxP, p - 1, Arrays.toString(naiveDs), Arrays.toString(SpreadKeys.keysForKeyGroups(p, p, maxP)));
    }
  }
}
