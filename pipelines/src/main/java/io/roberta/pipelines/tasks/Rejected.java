package io.roberta.pipelines.tasks;

import java.io.Serializable;

/** A row of task data that could not be read: where it is and why. */
public record Rejected(String file, long line, String field, String reason) implements Serializable {
  @Override
  public String toString() {
    return file + ":" + line + (field == null ? "" : " [" + field + "]") + ": " + reason;
  }
}
