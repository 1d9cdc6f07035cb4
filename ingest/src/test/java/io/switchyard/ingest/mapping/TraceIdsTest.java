package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class TraceIdsTest {
  static String id(TraceIds.Headers h) {
    ByteString id = TraceIds.fromHeaders(h);
    return id.isEmpty() ? "" : Hex.encode(id);
  }

  static TraceIds.Headers b3(String v) {
    return new TraceIds.Headers(null, v, null, null, null);
  }

  static TraceIds.Headers datadog(String id, String tags) {
    return new TraceIds.Headers(null, null, null, id, tags);
  }

  /** A 64-bit id as 128-bit hex with zero high bits, computed independently of the code under test. */
  static String low(long unsigned) {
    return String.format("%032x", new java.math.BigInteger(Long.toUnsignedString(unsigned)));
  }

  static TraceIds.Headers w3c(String v) {
    return new TraceIds.Headers(v, null, null, null, null);
  }

  @Test
  void aTraceparentGivesItsTraceId() {
    assertThat(id(w3c("00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01"))).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(id(w3c("00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-00"))).as("not sampled")
        .isEqualTo("5b8efff798038103d269b633813fc60c");
  }

  @Test
  void aLaterTraceparentVersionMayAppendFieldsAfterADash() {
    assertThat(id(w3c("01-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01"))).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(id(w3c("cc-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01-what-the-future-will-be-like")))
        .isEqualTo("5b8efff798038103d269b633813fc60c");
  }

  @Test
  void anInvalidTraceparentIsIgnoredWholeAsTheW3cSpecificationRequires() {
    String ok = "5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01";
    for (String bad : new String[] {
        "ff-" + ok, // version 255 is invalid
        "00-" + ok + "-extra", // version 00 has exactly four fields
        "00-" + ok + "x",
        "01-" + ok + "x", // a later version's extra fields follow a dash
        "0g-" + ok, "0A-" + ok, "0-" + ok,
        "00-5B8EFFF798038103D269B633813FC60C-eee19b7ec3c1b174-01", // upper-case hex
        "00-5b8efff798038103d269b633813fc60c-EEE19B7EC3C1B174-01",
        "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-0X",
        "00-5b8efff798038103d269b633813fc60c-0000000000000000-01", // all-zero parent id
        "00-00000000000000000000000000000000-eee19b7ec3c1b174-01", // all-zero trace id
        "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b1740-1", // a dash out of place
        "00_5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01",
        "00-5b8efff798038103d269b633813fc60-ceee19b7ec3c1b174-01",
        "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-1", "garbage"}) {
      assertThat(id(w3c(bad))).as(bad).isEmpty();
      assertThat(w3c(bad).present()).as(bad).isTrue();
    }
  }

  @Test
  void anXB3TraceIdInUpperCaseHexIsInvalidAsB3AndOpenTelemetryAskLowerHex() {
    for (String bad : new String[] {"D269B633813FC60C", "80F198EE56343BA864FE8B2A57D3EFF7", "0000000000000000", "d269b633813fc60", "+269b633813fc60c"}) {
      assertThat(id(new TraceIds.Headers(null, null, bad, null, null))).as(bad).isEmpty();
    }
    assertThat(id(new TraceIds.Headers(null, null, "80f198ee56343ba864fe8b2a57d3eff7", null, null)))
        .isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
  }

  @Test
  void aSingleB3HeaderGivesItsTraceIdWhateverFollowsIt() {
    assertThat(id(b3("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90")))
        .isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
    assertThat(id(b3("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d"))).isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
    assertThat(id(b3("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1"))).isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
  }

  @Test
  void a64BitSingleB3TraceIdIsLeftPadded() {
    assertThat(id(b3("e457b5a2e4d86bd1-05e3ac9a4f6e3b90-0"))).isEqualTo("0000000000000000e457b5a2e4d86bd1");
  }

  @Test
  void aB3OfOnlyASamplingStateCarriesNoIdAndIsNotAnInvalidOne() {
    for (String decision : new String[] {"0", "1", "d"}) {
      assertThat(id(b3(decision))).as(decision).isEmpty();
      assertThat(b3(decision).present()).as(decision).isFalse();
    }
  }

  @Test
  void malformedSingleB3HeadersGiveNoIdButCountAsMeant() {
    for (String bad : new String[] {"80f198ee56343ba8-", "80f198ee56343ba864fe8b2a57d3ef-e457b5a2e4d86bd1-1",
        "zzf198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1", "00000000000000000000000000000000-e457b5a2e4d86bd1",
        "80f198ee56343ba864fe8b2a57d3eff7-0000000000000000-1", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90-x"}) {
      assertThat(id(b3(bad))).as(bad).isEmpty();
      assertThat(b3(bad).present()).as(bad).isTrue();
    }
  }

  @Test
  void aB3InUpperCaseHexIsInvalidAsB3AndOpenTelemetryAskLowerHex() {
    for (String bad : new String[] {"80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1-1",
        "80f198ee56343ba864fe8b2a57d3eff7-E457B5A2E4D86BD1-1", "E457B5A2E4D86BD1-05e3ac9a4f6e3b90"}) {
      assertThat(id(b3(bad))).as(bad).isEmpty();
      assertThat(b3(bad).present()).as(bad).isTrue();
    }
  }

  @Test
  void aOneCharacterB3ThatIsNoSamplingStateIsAnInvalidOne() {
    for (String bad : new String[] {"x", "2", "-"}) {
      assertThat(id(b3(bad))).as(bad).isEmpty();
      assertThat(b3(bad).present()).as(bad).isTrue();
    }
  }

  @Test
  void aSingleB3TraceIdIsReadAfterAnInvalidTraceparentButBeforeTheMultiHeader() {
    String single = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1";
    assertThat(id(new TraceIds.Headers("00-zz-eee19b7ec3c1b174-01", single, "d269b633813fc60c", null, null)))
        .isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
    assertThat(id(new TraceIds.Headers(null, "80f198ee56343ba8-0000000000000000", "d269b633813fc60c", null, null)))
        .as("an invalid b3 gives way to x-b3-traceid, as OpenTelemetry's B3 extractor falls back")
        .isEqualTo("0000000000000000d269b633813fc60c");
  }

  @Test
  void theOrderIsTraceparentThenSingleB3ThenMultiB3ThenDatadog() {
    String w3c = "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01";
    String single = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1";
    String multi = "d269b633813fc60c";
    assertThat(id(new TraceIds.Headers(w3c, single, multi, "1", null))).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(id(new TraceIds.Headers(null, single, multi, "1", null))).isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
    assertThat(id(new TraceIds.Headers(null, "1", multi, "1", null))).isEqualTo("0000000000000000d269b633813fc60c");
    assertThat(id(new TraceIds.Headers("garbage", "garbage", "garbage", "1", null)))
        .as("each invalid one gives way to the next").isEqualTo("00000000000000000000000000000001");
  }

  @Test
  void aDatadogDecimalTraceIdIsItsLow64Bits() {
    assertThat(id(datadog("1234567890123456789", null))).isEqualTo("0000000000000000112210f47de98115");
    assertThat(Long.toHexString(1234567890123456789L)).isEqualTo("112210f47de98115");
  }

  @Test
  void aDatadogIdAboveTheLargestSignedLongIsReadUnsigned() {
    assertThat(id(datadog("18446744073709551615", null))).isEqualTo("0000000000000000ffffffffffffffff");
    assertThat(id(datadog("9223372036854775808", null))).isEqualTo("00000000000000008000000000000000");
  }

  @Test
  void theDatadogTidTagGivesTheHigh64Bits() {
    assertThat(id(datadog("1234567890123456789", "_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000")))
        .isEqualTo("640cfd8d00000000112210f47de98115");
  }

  @Test
  void aMalformedTidTagLeavesTheHighBitsZero() {
    for (String tags : new String[] {"_dd.p.tid=640cfd8d", "_dd.p.tid=640CFD8D00000000", "_dd.p.tid=zz0cfd8d00000000"}) {
      assertThat(id(datadog("1234567890123456789", tags))).as(tags).isEqualTo("0000000000000000112210f47de98115");
    }
  }

  @Test
  void aDatadogTraceIdWithLeadingZerosIsReadWhateverItsLength() {
    assertThat(id(datadog("0000000000001234567890123456789", null))).isEqualTo(low(1234567890123456789L));
    assertThat(id(datadog("000000000000000000000018446744073709551615", null))).isEqualTo(low(-1L));
  }

  @Test
  void aDatadogTagsHeaderThatIsNoKeyValueListGivesNoHighBits() {
    for (String tags : new String[] {"_dd.p.dm=-4,garbage,_dd.p.tid=640cfd8d00000000",
        "_dd.p.tid=640cfd8d00000000,,_dd.p.dm=-4", "=x,_dd.p.tid=640cfd8d00000000",
        "_dd.p.dm=,_dd.p.tid=640cfd8d00000000", "_dd.p.tid=640cfd8d00000000,_dd.p.dm"}) {
      assertThat(id(datadog("1234567890123456789", tags))).as(tags).isEqualTo(low(1234567890123456789L));
    }
  }

  @Test
  void aTidTagAfterASpaceIsNotTheTidTag() {
    assertThat(id(datadog("1234567890123456789", "_dd.p.dm=-4, _dd.p.tid=640cfd8d00000000")))
        .isEqualTo(low(1234567890123456789L));
  }

  @Test
  void aDatadogTagsHeaderLongerThanTheTracers512CharacterLimitIsIgnored() {
    String tid = "_dd.p.tid=640cfd8d00000000,_dd.p.x=";
    String at512 = tid + "a".repeat(512 - tid.length());
    assertThat(id(datadog("1234567890123456789", at512))).isEqualTo("640cfd8d00000000112210f47de98115");
    assertThat(id(datadog("1234567890123456789", at512 + "a"))).isEqualTo(low(1234567890123456789L));
  }

  @Test
  void theLastTidTagWinsAndATrailingCommaIsAllowedAsInTheTracers() {
    assertThat(id(datadog("1234567890123456789", "_dd.p.tid=1111111111111111,_dd.p.tid=640cfd8d00000000,")))
        .isEqualTo("640cfd8d00000000112210f47de98115");
  }

  @Test
  void invalidDatadogIdsGiveNoIdButCountAsMeant() {
    for (String bad : new String[] {"0", "18446744073709551616", "-5", "12ab", "1.5", "99999999999999999999999", "+5", "000", "00018446744073709551616"}) {
      assertThat(id(datadog(bad, null))).as(bad).isEmpty();
      assertThat(datadog(bad, null).present()).as(bad).isTrue();
    }
  }

  @Test
  void noHeadersAtAllIsNoIdAndNothingMeant() {
    TraceIds.Headers none = new TraceIds.Headers(null, "", " ", null, "_dd.p.tid=640cfd8d00000000");
    assertThat(id(none)).isEmpty();
    assertThat(none.present()).as("tags alone carry no id").isFalse();
  }
}
