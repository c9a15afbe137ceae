package io.roberta.runners.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad option fails in {@link OptionsCheck}, before any stage, with a message naming it. */
class OptionsCheckTest {
  static final List<String> DATAFLOW = List.of(
      "--runner=DataflowRunner", "--project=roberta-test", "--region=us-central1", "--tempLocation=gs://bucket/tmp");

  static InvalidOptionException fails(String workDir, String... args) {
    return assertThrows(InvalidOptionException.class, () -> OptionsCheck.parse(List.of(args), workDir));
  }

  static List<String> dataflowWithout(String option) {
    List<String> args = new ArrayList<>();
    DATAFLOW.stream().filter(a -> !a.startsWith(option + "=")).forEach(args::add);
    return args;
  }

  @Test
  void anUnknownRunnerIsNamedWithTheValidOnes(@TempDir Path dir) {
    InvalidOptionException e = fails(dir.toString(), "--runner=Nope");
    assertEquals("--runner", e.option());
    assertEquals("--runner=Nope is not a runner this project runs on; valid: DirectRunner, FlinkRunner, DataflowRunner", e.getMessage());
  }

  @Test
  void aWorkDirWithoutARegisteredFileSystemFailsNamingTheOptionAndWhatToAdd() {
    InvalidOptionException e = fails("nosuchfs://bucket/work");
    assertEquals("--work-dir", e.option());
    assertTrue(e.getMessage().contains("no Beam file system is registered for the scheme nosuchfs://"), e.getMessage());
    assertTrue(e.getMessage().contains("add "), e.getMessage());
  }

  @Test
  void aWorkDirThatLostASlashIsRefused() {
    InvalidOptionException e = fails("gs:/bucket/work");
    assertEquals("--work-dir", e.option());
    assertTrue(e.getMessage().contains("gs:/bucket/work is not a well-formed URI"), e.getMessage());
  }

  @Test
  void beamsSpellingsOfTheRunnersAreAccepted() {
    assertEquals("FlinkRunner", OptionsCheck.runner(List.of("--runner=flink")));
    assertEquals("FlinkRunner", OptionsCheck.runner(List.of("--runner=org.apache.beam.runners.flink.FlinkRunner")));
    assertEquals("DataflowRunner", OptionsCheck.runner(List.of("--runner=dataflowrunner")));
    assertEquals("DirectRunner", OptionsCheck.runner(List.of()));
  }

  @Test
  void dataflowNeedsATempLocation() {
    InvalidOptionException e = fails("gs://bucket/work", dataflowWithout("--tempLocation").toArray(String[]::new));
    assertEquals("--tempLocation", e.option());
    assertTrue(e.getMessage().contains("--tempLocation (or --gcpTempLocation) is required on Dataflow"), e.getMessage());

    List<String> gcp = dataflowWithout("--tempLocation");
    gcp.add("--gcpTempLocation=gs://bucket/tmp");
    RobertaPipelineOptions ok = OptionsCheck.parse(gcp, "gs://bucket/work");
    assertEquals("gs://bucket/work", ok.getWorkDir());
  }

  @Test
  void dataflowNeedsAProjectAndARegion() {
    InvalidOptionException project = fails("gs://bucket/work", dataflowWithout("--project").toArray(String[]::new));
    assertEquals("--project", project.option());
    assertTrue(project.getMessage().startsWith("--project is required on Dataflow"), project.getMessage());

    InvalidOptionException region = fails("gs://bucket/work", dataflowWithout("--region").toArray(String[]::new));
    assertEquals("--region", region.option());
    assertTrue(region.getMessage().startsWith("--region is required on Dataflow"), region.getMessage());
  }

  @Test
  void dataflowNeedsAWorkDirItsWorkersCanSee(@TempDir Path dir) {
    InvalidOptionException e = fails(dir.toString(), DATAFLOW.toArray(String[]::new));
    assertEquals("--work-dir", e.option());
    assertTrue(e.getMessage().contains("is not a gs:// path"), e.getMessage());
  }

  @Test
  void aWorkDirThatCannotBeWrittenIsNamed(@TempDir Path dir) throws Exception {
    // Under a plain file no folder can be made, even by root (who may write a read-only folder).
    Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
    InvalidOptionException e = fails(file.resolve("work").toString());
    assertEquals("--work-dir", e.option());
    assertTrue(e.getMessage().startsWith("--work-dir " + file.resolve("work") + " cannot be created"), e.getMessage());

    InvalidOptionException viaBeam = assertThrows(InvalidOptionException.class,
        () -> OptionsCheck.validate("--workDir=" + file.resolve("work")));
    assertEquals("--workDir", viaBeam.option());
  }

  @Test
  void aFlinkClusterNeedsAnAbsoluteWorkDir(@TempDir Path dir) {
    InvalidOptionException e = fails("work", "--runner=FlinkRunner", "--flinkMaster=localhost:8081");
    assertEquals("--work-dir", e.option());
    assertTrue(e.getMessage().startsWith("--work-dir work is relative: the cluster's TaskManagers"), e.getMessage());
    OptionsCheck.parse(List.of("--runner=FlinkRunner", "--flinkMaster=localhost:8081"), dir.toString());
    OptionsCheck.parse(List.of("--runner=FlinkRunner", "--flinkMaster=[local]"), dir.resolve("w").toString());
  }

  @Test
  void anInvalidTrainingAcceleratorIsNamed(@TempDir Path dir) {
    for (String bad : new String[] {"nvidia-l4", "type:nvidia-l4;count:0", "type:nvidia-l4;count:two", "count:1;install-nvidia-driver",
        "type:NVIDIA L4", "type:nvidia-l4;colour:green", "type:nvidia-l4;type:nvidia-t4", ""}) {
      InvalidOptionException e = fails(dir.toString(), "--trainingAccelerator=" + bad);
      assertEquals("--trainingAccelerator", e.option(), bad);
      assertTrue(e.getMessage().startsWith("--trainingAccelerator"), e.getMessage());
      assertTrue(e.getMessage().contains("expected e.g. type:nvidia-l4;count:1;install-nvidia-driver"), e.getMessage());
    }
    for (String good : new String[] {"type:nvidia-l4;count:1;install-nvidia-driver", "type:nvidia-tesla-t4",
        "type:nvidia-h100-80gb;count:8;install-nvidia-driver:latest;use_nvidia_mps"}) {
      assertEquals(good, OptionsCheck.parse(List.of("--trainingAccelerator=" + good), dir.toString()).getTrainingAccelerator());
    }
  }

  @Test
  void argumentsThatAreNotBeamOptionsAreNamed(@TempDir Path dir) {
    InvalidOptionException positional = fails(dir.toString(), "extra");
    assertEquals("extra", positional.option());
    InvalidOptionException unknown = fails(dir.toString(), "--noSuchOption=1");
    assertEquals("--noSuchOption=1", unknown.option());
    assertTrue(unknown.getMessage().contains("noSuchOption"), unknown.getMessage());
  }

  @Test
  void goodOptionsKeepTheCommandLinesDirectRunnerDefaults(@TempDir Path dir) {
    RobertaPipelineOptions direct = OptionsCheck.parse(List.of(), dir.resolve("work").toString());
    assertTrue(Files.isDirectory(dir.resolve("work")));
    assertEquals(dir.resolve("work").toString(), direct.getWorkDir());
    DirectOptions d = direct.as(DirectOptions.class);
    assertEquals(Runtime.getRuntime().availableProcessors(), d.getTargetParallelism());
    assertFalse(d.isEnforceImmutability());
    assertFalse(d.isEnforceEncodability());

    RobertaPipelineOptions asked = OptionsCheck.parse(List.of("--targetParallelism=3", "--enforceImmutability=true"), dir.toString());
    assertEquals(3, asked.as(DirectOptions.class).getTargetParallelism());
    assertTrue(asked.as(DirectOptions.class).isEnforceImmutability());

    RobertaPipelineOptions flink = OptionsCheck.parse(List.of("--runner=FlinkRunner", "--flinkMaster=localhost:8081"), dir.toString());
    assertEquals("localhost:8081", flink.as(FlinkPipelineOptions.class).getFlinkMaster());
  }
}
