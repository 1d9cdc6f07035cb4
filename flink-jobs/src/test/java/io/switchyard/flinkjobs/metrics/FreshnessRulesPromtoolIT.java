package io.switchyard.flinkjobs.metrics;

import io.switchyard.flinkjobs.Promtool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules shipped in {@code deploy/prometheus/switchyard-flink.rules.yml}, evaluated by Prometheus' own rule
 * engine over series shaped as Flink's Prometheus reporter exports them, on a cluster as in the local jar.
 */
class FreshnessRulesPromtoolIT {
  private static final Path RULES = Path.of("..", "deploy", "prometheus", "switchyard-flink.rules.yml");

  @TempDir Path dir;

  @Test
  void aJobWhoseCheckpointsStopForTwoMinutesPagesAndNotBefore() throws Exception {
    Files.copy(RULES, dir.resolve("rules.yml"), StandardCopyOption.REPLACE_EXISTING);
    // Checkpoints complete 5 s before each minute until minute 3, then stop. A second job has not completed its
    // first checkpoint yet (Flink's -1): no age, no alert.
    Files.writeString(dir.resolve("test.yml"), """
        rule_files: [rules.yml]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - series: 'flink_jobmanager_job_lastCheckpointCompletedTimestamp{job_name="switchyard"}'
                values: '-1 55000 115000 175000+0x10'
              - series: 'flink_jobmanager_job_lastCheckpointCompletedTimestamp{job_name="starting"}'
                values: '-1+0x12'
            alert_rule_test:
              - eval_time: 4m
                alertname: SwitchyardFlinkCheckpointsStalled
                exp_alerts: []
              - eval_time: 6m
                alertname: SwitchyardFlinkCheckpointsStalled
                exp_alerts:
                  - exp_labels: {severity: page, job_name: switchyard}
                    exp_annotations:
                      summary: 'Flink job switchyard has completed no checkpoint for 3m 5s: results are not being committed'
        """);
    Promtool.assertRuleTestsPass(dir, "test.yml", dir.resolve("rules.yml"));
  }
}
