package io.roberta.pipelines.corpus;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Documents and bytes a run has read, shared within one JVM: the DirectRunner and embedded
 * Flink run the pipeline in the driver's JVM, so the driver can print a progress line while it
 * runs. On a remote runner the meter stays at zero and the driver says so.
 *
 * <pre>{@code
 * ProgressMeter meter = ProgressMeter.get(runId);
 * System.err.println(meter.line(totalBytes));
 * }</pre>
 */
public final class ProgressMeter {
  private static final Map<String, ProgressMeter> METERS = new ConcurrentHashMap<>();

  private final AtomicLong documents = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong encodedDocuments = new AtomicLong();
  private final AtomicLong encodedChars = new AtomicLong();
  private final long startNanos = System.nanoTime();

  private ProgressMeter() {}

  public static ProgressMeter get(String id) {
    return METERS.computeIfAbsent(id, k -> new ProgressMeter());
  }

  public static void remove(String id) {
    METERS.remove(id);
  }

  void add(long docs, long byteCount) {
    documents.addAndGet(docs);
    bytes.addAndGet(byteCount);
  }

  void encoded(long docs, long chars) {
    encodedDocuments.addAndGet(docs);
    encodedChars.addAndGet(chars);
  }

  public long documents() {
    return documents.get();
  }

  public long bytes() {
    return bytes.get();
  }

  /**
   * e.g. {@code 868 documents, 21.9 of 21.9 MB read (100%), 3.10 MB/s; tokenized 412 of <= 868
   * documents (9.8 M chars), 7 s elapsed}. The ETA is for reading, the first half of the work.
   */
  public String line(long totalBytes) {
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    double mb = bytes() / 1e6;
    double rate = mb / seconds;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%,d documents, %.1f", documents(), mb));
    if (totalBytes > 0) {
      double total = totalBytes / 1e6;
      s.append(String.format(Locale.ROOT, " of %.1f MB read (%.0f%%)", total, 100 * Math.min(1.0, mb / total)));
      s.append(String.format(Locale.ROOT, ", %.2f MB/s", rate));
      if (rate > 0 && mb < total) {
        s.append(String.format(Locale.ROOT, ", ETA %.0f s", (total - mb) / rate));
      }
    } else {
      s.append(String.format(Locale.ROOT, " MB read, %.2f MB/s", rate));
    }
    if (encodedDocuments.get() > 0) {
      s.append(String.format(Locale.ROOT, "; tokenized %,d of <= %,d documents (%.1f M chars)",
          encodedDocuments.get(), documents(), encodedChars.get() / 1e6));
    }
    s.append(String.format(Locale.ROOT, ", %.0f s elapsed", seconds));
    return s.toString();
  }
}
