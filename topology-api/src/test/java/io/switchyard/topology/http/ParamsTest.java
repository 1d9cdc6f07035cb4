package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.topology.query.BadParameterException;
import java.net.URI;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParamsTest {
  @Test
  void decodesPercentEncodedUtf8AndPlusAsSpaceOnlyInQueries() {
    assertThat(Params.decode("caf%C3%A9+bar%2B", true, "service")).isEqualTo("café bar+");
    assertThat(Params.decode("a+b%20c", false, "name")).isEqualTo("a+b c");
    assertThat(Params.decode("plain", true, "service")).isEqualTo("plain");
    assertThat(Params.decode("é%2F", true, "service")).isEqualTo("é/");
  }

  @Test
  void malformedEscapesAndBytesThatAreNotUtf8NameTheParameter() {
    for (String raw : new String[] {"%zz", "%", "%4", "ab%g1", "%C3%28", "%FF", "%C3"}) {
      assertThatThrownBy(() -> Params.decode(raw, true, "from")).as(raw)
          .isInstanceOf(BadParameterException.class)
          .hasFieldOrPropertyWithValue("parameter", "from")
          .hasMessageContaining(raw);
    }
  }

  @Test
  void aBadValueNamesItsParameterAndABadNameTheQueryString() {
    assertThatThrownBy(() -> Params.of(URI.create("/x?service=%C3%28"), Set.of("service")))
        .hasFieldOrPropertyWithValue("parameter", "service");
    assertThatThrownBy(() -> Params.of(URI.create("/x?%C3%28=1"), Set.of("service")))
        .hasFieldOrPropertyWithValue("parameter", "query string");
  }
}
