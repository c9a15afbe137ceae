package io.roberta.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JobManager port taken by another process between the probe and the bind makes
 * {@link LocalFlinkCluster} start again on new ports, keeping each failed start's logs; a port
 * that stays taken (here pinned through the extra configuration) fails after the last attempt.
 */
class LocalFlinkClusterStartTest {

  @Test
  void aTakenPortIsRetriedThenReportedWithTheLogsOfEveryAttempt(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("localhost"))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalFlinkCluster.start(dir, 0, 1,
          Map.of("jobmanager.rpc.port", Integer.toString(taken.getLocalPort()))));
      assertTrue(e.getMessage().contains("JobManager exited"), e.getMessage());
      for (Path d : new Path[] {dir.resolve("failed-start-1"), dir.resolve("failed-start-2"), dir}) {
        assertTrue(Files.exists(d.resolve("jobmanager.log")), "each attempt's log is kept: " + d);
        assertTrue(LocalFlinkCluster.jobManagerCouldNotBind(d), "each attempt failed on the taken port: " + d);
      }
      assertFalse(Files.exists(dir.resolve("failed-start-3")), "three attempts in all");
    }
  }
}
