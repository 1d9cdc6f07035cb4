package io.switchyard.extauthz.log;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.switchyard.model.v1.AuthzDecisionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One JSON line per decision on the {@code io.switchyard.extauthz.decisions} logger. */
public final class JsonLogSink implements DecisionLogSink {
  private static final Logger LOG = LoggerFactory.getLogger("io.switchyard.extauthz.decisions");
  private final JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();

  @Override
  public void write(String key, byte[] record) throws InvalidProtocolBufferException {
    LOG.info(printer.print(AuthzDecisionRecord.parser().parseFrom(record)));
  }

  @Override
  public void close() {}
}
