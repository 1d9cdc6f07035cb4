package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.model.Topics;
import io.switchyard.model.v1.SloDefinitionRecord;
import io.switchyard.testing.SharedKafka;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two folders published to one definitions topic (up's config/slo/ and a user's slo apply) leave each other's SLOs alone. */
class SloPublisherIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  private static final Path UP_FOLDER = Path.of("/srv/switchyard/config/slo");
  private static final Path TEAM_FOLDER = Path.of("/home/team/slo");

  @Test
  void aFolderRemovesOnlyItsOwnSlosUnlessToldToPruneAll() throws Exception {
    SloPublisher publisher = publisher();
    publisher.publish(slos("up-a", "up-b"), UP_FOLDER, SloPublisher.Prune.FOLDER);

    SloPublisher.Outcome team = publisher.publish(slos("team-a"), TEAM_FOLDER, SloPublisher.Prune.FOLDER);
    assertThat(team.published()).containsExactly("team-a");
    assertThat(team.removed()).isEmpty();
    assertThat(team.keptFromOtherFolders()).containsExactly("up-a (" + UP_FOLDER + ")", "up-b (" + UP_FOLDER + ")");

    // up restarts with one SLO fewer in its folder: it removes that one, and keeps the team's.
    SloPublisher.Outcome up = publisher.publish(slos("up-a"), UP_FOLDER, SloPublisher.Prune.FOLDER);
    assertThat(up.published()).isEmpty();
    assertThat(up.removed()).containsExactly("up-b");
    assertThat(publisher.liveDefinitions()).containsOnlyKeys("up-a", "team-a");

    SloPublisher.Outcome all = publisher.publish(slos("team-a"), TEAM_FOLDER, SloPublisher.Prune.ALL);
    assertThat(all.removed()).containsExactly("up-a");
    assertThat(publisher.liveDefinitions()).containsOnlyKeys("team-a");
  }

  @Test
  void aDefinitionOfAnEarlierBuildIsKeptAndClaimedByTheFolderThatDefinesIt() throws Exception {
    SloPublisher publisher = publisher();
    String yaml = slos("old-a").get(0).yaml();
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      for (String name : List.of("old-a", "old-b")) {
        SloDefinitionRecord r = SloDefinitionRecord.newBuilder().setSchemaVersion(1).setName(name)
            .setOpensloYaml(yaml.replace("old-a", name)).build();
        p.send(new ProducerRecord<>(topic, name.getBytes(StandardCharsets.UTF_8), r.toByteArray())).get();
      }
    }

    SloPublisher.Outcome up = publisher.publish(slos("old-a"), UP_FOLDER, SloPublisher.Prune.FOLDER);
    assertThat(up.published()).as("claimed with the same YAML").containsExactly("old-a");
    assertThat(up.keptFromOtherFolders()).containsExactly("old-b (folder not recorded)");
    Map<String, SloPublisher.Live> live = publisher.liveDefinitions();
    assertThat(live.get("old-a")).isEqualTo(new SloPublisher.Live(yaml, UP_FOLDER.toString()));
    assertThat(live.get("old-b").sourceFolder()).isEmpty();

    assertThat(publisher.publish(List.of(), UP_FOLDER, SloPublisher.Prune.FOLDER).removed()).containsExactly("old-a");
  }

  @Test
  void aBrokerWithoutTheTopicOrNoBrokerIsOneErrorNamingItAndNothingIsCreated() throws Exception {
    String prefix = kafka.uniquePrefix();
    String missing = prefix + Topics.SLO_DEFINITIONS.name();
    SloPublisher publisher = new SloPublisher(kafka.bootstrapServers(), missing, Clock.systemUTC());
    // Before, the producer waited 60 s for the topic and failed with "TimeoutException: Topic … not present in metadata".
    assertThatThrownBy(() -> publisher.publish(slos("a"), UP_FOLDER, SloPublisher.Prune.FOLDER))
        .isInstanceOf(SloPublisher.KafkaUnusable.class)
        .hasMessage("topic " + missing + " not found on the broker at " + kafka.bootstrapServers() + " (--kafka): create it with"
            + " switchyard topics create --kafka " + kafka.bootstrapServers() + " --topic-prefix " + prefix + ", or check --topic-prefix");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      assertThat(admin.listTopics().names().get()).doesNotContain(missing);
    }

    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    SloPublisher nowhere = new SloPublisher("127.0.0.1:" + closed, missing, Clock.systemUTC(), Duration.ofSeconds(2));
    assertThatThrownBy(() -> nowhere.publish(slos("a"), UP_FOLDER, SloPublisher.Prune.FOLDER))
        .isInstanceOf(SloPublisher.KafkaUnusable.class)
        .hasMessageStartingWith("cannot reach Kafka at 127.0.0.1:" + closed + " (--kafka) within 2 s: ");
  }

  private String topic;

  private SloPublisher publisher() {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    topic = prefix + Topics.SLO_DEFINITIONS.name();
    return new SloPublisher(kafka.bootstrapServers(), topic, Clock.systemUTC());
  }

  private static List<OpenSloParser.SloDocument> slos(String... names) throws SloSpecException {
    Map<String, String> files = new java.util.TreeMap<>();
    for (String name : names) {
      files.put(name + ".yaml", SloFixtures.CHECKOUT_AVAILABILITY.replace("checkout-availability", name));
    }
    return OpenSloParser.parseAll(files);
  }
}
