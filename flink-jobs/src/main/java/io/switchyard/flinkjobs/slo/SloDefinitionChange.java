package io.switchyard.flinkjobs.slo;

/** A record of the compacted SLO definitions topic: YAML to apply, or null yaml to remove (tombstone). */
public class SloDefinitionChange {
  public String name = "";
  public String yaml;
  public String sourceFile = "";

  public SloDefinitionChange() {}

  public SloDefinitionChange(String name, String yaml, String sourceFile) {
    this.name = name;
    this.yaml = yaml;
    this.sourceFile = sourceFile;
  }
}
