package io.switchyard.ingest.mapping;

/**
 * How much of a source record survives mapping.
 *
 * @param keepAttributes copy every span attribute (stringified) into {@code SpanRecord.attributes}; off by default
 *     because downstream jobs only read the typed fields and the map dominates record size
 * @param maxAttributes at most this many attributes are kept per record; the rest are dropped
 * @param maxValueLength longer attribute values (kept or typed) are cut to this many characters
 */
public record MappingOptions(boolean keepAttributes, int maxAttributes, int maxValueLength) {
  public static final MappingOptions DEFAULTS = new MappingOptions(false, 64, 1024);

  public MappingOptions {
    if (maxAttributes < 0) {
      throw new IllegalArgumentException("maxAttributes must be >= 0, got " + maxAttributes);
    }
    if (maxValueLength < 16) {
      throw new IllegalArgumentException("maxValueLength must be >= 16, got " + maxValueLength);
    }
  }

  public MappingOptions withKeepAttributes(boolean keep) {
    return new MappingOptions(keep, maxAttributes, maxValueLength);
  }

  String cut(String value) {
    return value.length() <= maxValueLength ? value : value.substring(0, maxValueLength);
  }
}
