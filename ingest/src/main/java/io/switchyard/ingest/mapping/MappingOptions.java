package io.switchyard.ingest.mapping;

/**
 * How much of a source record survives mapping.
 *
 * @param keepAttributes copy every span attribute (stringified) into {@code SpanRecord.attributes}; off by default
 *     because downstream jobs only read the typed fields and the map dominates record size
 * @param maxAttributes only the first this many attributes of a span or log record are read (OTel's attribute
 *     count limit, default 128 as in the SDKs); the rest are dropped and the record counted as truncated
 * @param maxValueLength longer string values (span name, typed fields, kept attributes) are cut to this many
 *     characters (OTel's attribute value length limit) and the record counted as truncated
 */
public record MappingOptions(boolean keepAttributes, int maxAttributes, int maxValueLength) {
  public static final MappingOptions DEFAULTS = new MappingOptions(false, 128, 1024);

  public MappingOptions {
    if (maxAttributes < 0) {
      throw new IllegalArgumentException("maxAttributes must be >= 0, got " + maxAttributes);
    }
    if (maxValueLength < 16) {
      throw new IllegalArgumentException("maxValueLength must be >= 16, got " + maxValueLength);
    }
  }

  public MappingOptions withLimits(int attributes, int valueLength) {
    return new MappingOptions(keepAttributes, attributes, valueLength);
  }

  public MappingOptions withKeepAttributes(boolean keep) {
    return new MappingOptions(keep, maxAttributes, maxValueLength);
  }

  String cut(String value) {
    return value.length() <= maxValueLength ? value : value.substring(0, maxValueLength);
  }
}
