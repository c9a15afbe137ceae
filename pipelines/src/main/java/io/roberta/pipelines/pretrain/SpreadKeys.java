package io.roberta.pipelines.pretrain;

import java.util.Arrays;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.util.CoderUtils;

/**
 * Integer keys that a {@code GroupByKey} (or {@code Reshuffle.of()}) on Beam's Flink runner sends to
 * pairwise distinct Flink subtasks, so that K elements keyed this way are processed by K different
 * task slots after the shuffle.
 *
 * <p>Beam 2.62 runs a bounded pipeline on Flink's DataSet API unless {@code --useDataStreamForBatch=true}
 * ({@code FlinkPipelineExecutionEnvironment.translate}). There the shuffle is a Flink hash partition
 * on the key's bytes ({@code KvKeySelector}/{@code WindowedKvKeySelector}: {@code
 * CoderUtils.encodeToByteArray(keyCoder, key)}, OUTER context, followed by the encoded window, which
 * is empty for the global window) hashed by {@code EncodedValueComparator.hash} ({@code
 * Arrays.hashCode(bytes)}) and sent by {@code OutputEmitter.hashPartitionDefault}:
 *
 * <pre>subtask = MathUtils.murmurHash(Arrays.hashCode(VarIntCoder bytes of key)) % parallelism</pre>
 *
 * With {@code --useDataStreamForBatch=true} a {@code GroupByKey} is a {@code keyBy} on the key's
 * NESTED-context bytes wrapped in a {@code ByteBuffer} ({@code FlinkKeyUtils.encodeKey}), placed by
 * key groups ({@code KeyGroupRangeAssignment}); see {@link #subtaskOfKeyGroups}. In that mode {@code
 * Reshuffle.of()} is a {@code rebalance()} (round robin) and ignores the key.
 *
 * <p>Distinct subtasks are distinct task slots. They are distinct TaskManagers only where every
 * TaskManager has one slot ({@code taskmanager.numberOfTaskSlots: 1}): which slot, and so which
 * TaskManager, runs subtask i is the scheduler's choice, not the key's.
 *
 * <p>The hash functions are copies of Flink's {@code MathUtils.murmurHash} and {@code
 * KeyGroupRangeAssignment} (unchanged since Flink 1.2); the test checks them against Flink's classes
 * and against {@code OutputEmitter} itself, so a change in Flink fails the build, not the placement.
 */
public final class SpreadKeys {
  private SpreadKeys() {}

  /** How far {@link #keysFor} looks for a key per subtask; far more than ever needed (about P tries). */
  static final int SEARCH_LIMIT = 1 << 20;

  /**
   * {@code workers} keys, key {@code i} going to subtask {@code i} of a {@code GroupByKey} or {@code
   * Reshuffle.of()} of parallelism {@code parallelism} on the DataSet (default batch) path, for
   * {@code KV<Integer, ?>} with the default {@link VarIntCoder} in the global window. Each key is the
   * smallest non-negative int that lands there.
   */
  public static int[] keysFor(int workers, int parallelism) {
    check(workers, parallelism);
    int[] keys = new int[workers];
    for (int subtask = 0; subtask < workers; subtask++) {
      keys[subtask] = firstKey(subtask, k -> subtaskOf(k, parallelism));
    }
    return keys;
  }

  /**
   * As {@link #keysFor(int, int)}, for the DataStream batch path ({@code --useDataStreamForBatch=true},
   * {@code GroupByKey} only): key {@code i} goes to subtask {@code i} under key-group assignment with
   * {@code maxParallelism} key groups (Flink's default: {@link #defaultMaxParallelism}).
   */
  public static int[] keysForKeyGroups(int workers, int parallelism, int maxParallelism) {
    check(workers, parallelism);
    if (maxParallelism < parallelism) {
      throw new IllegalArgumentException("maxParallelism " + maxParallelism + " < parallelism " + parallelism);
    }
    int[] keys = new int[workers];
    for (int subtask = 0; subtask < workers; subtask++) {
      keys[subtask] = firstKey(subtask, k -> subtaskOfKeyGroups(k, parallelism, maxParallelism));
    }
    return keys;
  }

  /** The DataSet-path subtask (0-based) of an Integer key encoded with {@link VarIntCoder}. */
  public static int subtaskOf(int key, int parallelism) {
    return subtaskOf(varInt(key), parallelism);
  }

  /**
   * The DataSet-path subtask of a key given as its Beam encoding ({@code
   * CoderUtils.encodeToByteArray(keyCoder, key)}, OUTER context; for a {@code GroupByKey} in a
   * non-global window append the encoded window): {@code murmurHash(Arrays.hashCode(bytes)) % P}.
   */
  public static int subtaskOf(byte[] encodedKey, int parallelism) {
    return murmurHash(Arrays.hashCode(encodedKey)) % parallelism;
  }

  /** The DataStream-path subtask of an Integer key encoded with {@link VarIntCoder}. */
  public static int subtaskOfKeyGroups(int key, int parallelism, int maxParallelism) {
    return subtaskOfKeyGroups(varInt(key), parallelism, maxParallelism);
  }

  /**
   * The DataStream-path subtask of a key given as its NESTED-context Beam encoding ({@code
   * FlinkKeyUtils.encodeKey}): key group {@code murmurHash(ByteBuffer.wrap(bytes).hashCode()) %
   * maxParallelism}, then {@code keyGroup * parallelism / maxParallelism}.
   */
  public static int subtaskOfKeyGroups(byte[] nestedEncodedKey, int parallelism, int maxParallelism) {
    int keyGroup = murmurHash(java.nio.ByteBuffer.wrap(nestedEncodedKey).hashCode()) % maxParallelism;
    return keyGroup * parallelism / maxParallelism;
  }

  /** Flink's default number of key groups for an operator of this parallelism (KeyGroupRangeAssignment). */
  public static int defaultMaxParallelism(int parallelism) {
    int p = parallelism + (parallelism / 2);
    int pow2 = p <= 1 ? 1 : Integer.highestOneBit(p - 1) << 1; // MathUtils.roundUpToPowerOfTwo
    return Math.min(Math.max(pow2, 128), 1 << 15);
  }

  /** Flink's {@code MathUtils.murmurHash(int)}: one Murmur3 round and finaliser, made non-negative. */
  static int murmurHash(int code) {
    code *= 0xcc9e2d51;
    code = Integer.rotateLeft(code, 15);
    code *= 0x1b873593;
    code = Integer.rotateLeft(code, 13);
    code = code * 5 + 0xe6546b64;
    code ^= 4;
    code ^= code >>> 16; // MathUtils.bitMix (Murmur3's fmix32)
    code *= 0x85ebca6b;
    code ^= code >>> 13;
    code *= 0xc2b2ae35;
    code ^= code >>> 16;
    if (code >= 0) {
      return code;
    } else if (code != Integer.MIN_VALUE) {
      return -code;
    } else {
      return 0;
    }
  }

  static byte[] varInt(int key) {
    try {
      return CoderUtils.encodeToByteArray(VarIntCoder.of(), key);
    } catch (CoderException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int firstKey(int subtask, java.util.function.IntUnaryOperator place) {
    for (int k = 0; k < SEARCH_LIMIT; k++) {
      if (place.applyAsInt(k) == subtask) {
        return k;
      }
    }
    throw new IllegalStateException("no key below " + SEARCH_LIMIT + " lands on subtask " + subtask);
  }

  private static void check(int workers, int parallelism) {
    if (workers < 0 || parallelism < 1 || workers > parallelism) {
      throw new IllegalArgumentException(
          "need 0 <= workers <= parallelism, got workers=" + workers + ", parallelism=" + parallelism);
    }
  }
}
