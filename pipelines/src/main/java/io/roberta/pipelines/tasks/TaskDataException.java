package io.roberta.pipelines.tasks;

import java.util.List;

/** Task data with malformed rows, where a score would silently leave them out. */
public final class TaskDataException extends RuntimeException {
  private final List<Rejected> rejected;

  public TaskDataException(String task, List<Rejected> rejected) {
    super("task " + task + ": " + rejected.size() + " malformed row(s); fix the data, or evaluate"
        + " with rejected rows acknowledged (--accept-rejected) so the report lists them:\n"
        + TaskData.describe(rejected, 10));
    this.rejected = List.copyOf(rejected);
  }

  public List<Rejected> rejected() {
    return rejected;
  }
}
