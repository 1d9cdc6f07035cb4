package io.switchyard.extauthz.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.JwksRegistry;
import io.switchyard.extauthz.config.Policies;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.extauthz.request.PathNormalizer;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.MutableClock;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Istio's own authorization integration tests run as a conformance corpus: istio/istio
 * {@code tests/integration/security/authz_test.go} and {@code jwt_test.go}, with the policies of
 * {@code tests/integration/security/testdata/authz/} and {@code testdata/requestauthn/} written out with their template
 * values filled in, and the JWTs and JWKS of {@code tests/common/jwt/} (signed with Istio's test key, valid until 2118).
 *
 * <p>Each case is a CheckRequest as a sidecar's Envoy would send it for the test's echo call, mapped by the real
 * {@link CheckRequestMapper} and decided by the real {@link DecisionEngine} from policies read by the real loader.
 * The echo deployment is modelled as: the target {@code b} in namespace {@code ns1} (label {@code app: b}), callers
 * {@code a} in {@code ns1} (the allowed one of most tests) and {@code a} in {@code ns2} (the denied one), Istio's echo
 * ports {@code http} 18080, {@code http2} 18085, {@code grpc} 17070, {@code tcp} 19090 (pkg/test/framework/components/echo/
 * common/ports/ports.go), and the ingress gateway in {@code istio-system} with {@code numTrustedProxies: 1}, as the
 * suite's main_test.go sets it.
 */
class IstioAuthzCasesTest {
  static final String NS1 = "ns1";
  static final String NS2 = "ns2";
  static final String A1 = "spiffe://cluster.local/ns/ns1/sa/a";
  static final String A2 = "spiffe://cluster.local/ns/ns2/sa/a";
  static final String A1_IP = "10.10.0.1";
  static final String A2_IP = "10.20.0.1";
  static final String B_IP = "10.10.0.2";
  static final String C_IP = "10.10.0.3";
  static final int HTTP = 18080;
  static final int HTTP2 = 18085;
  static final int GRPC = 17070;
  static final int TCP = 19090;

  /** tests/common/jwt/jwks.json: the public key of tests/common/jwt/key.pem. */
  static final String JWKS = "{ \"keys\":[ {\"e\":\"AQAB\",\"kid\":\"tT_w9LRNrY7wJalGsTYSt7rutZi86Gvyc0EKR4CaQAw\",\"kty\":\"RSA\","
      + "\"n\":\"raJ7ZEhMfrBUo2werGKOow9an1B6Ukc6dKY2hNi10eaQe9ehJCjLpmJpePxoqaCi2VYt6gncLfhEV71JDGsodbfYMlaxwWTt6lXBcjlVXHWDXLC45rHVfi9FjSSXloHqmSStpjv3mrW3R6fx2VeVVP_mrA6ZHtcynq6ecJqO11STvVoeeM3lEsASVSWsUrKltC1Crfo0sI7YG34QjophVTEi8B9gVepAJZV-Bso5sinRABnxfLUM7DU5c8MO114uvXThgSIuAOM9PbViSC3X6Y9Gsjsy881HGO-EJaUCrwSWnwQW5sp0TktrYL70-M4_ug-X51Yt_PErmncKupx8Hw\"}]}";

  // tests/common/jwt/jwt_token.go
  static final String TokenIssuer1 = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ3MTU3ODI3MjIsImdyb3VwcyI6WyJncm91cC0xIl0sImlhdCI6MTU2MjE4MjcyMiwiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsInN1YiI6InN1Yi0xIn0.JUWnHmKP01ZJMxtE8ke7Lv7G_eXL9yEoa4xWi__Sk09IQsuBGnhK75nQfl4aJ1fLthu-AvIp-GZe-1hDnBHhO4MQ7tXYeCdgnFkVGvhvZwOWpOl79H2U-mRX1eyjsHG0ZzwHwWMMLpPW6HQYCbTCEkZKRtoFoSum0-ilGqLO7EGRMEFpKYKnZV0N9pZIgX8uPlHoOVCZjqvhDtFjP-PG89vvNozeV7u47LMMzQeQtzCDmbRrIw1KVHZ885N1qiLcf-RNR9x9UINK_d98QKqkYsJtI2QTdVzevzSF8LfvaGLh75tvAL8h7L221haAKEnICuRqGWNO8qIwsj0k89kdGA";
  static final String TokenIssuer1WithAud = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJhdWQiOiJmb28iLCJleHAiOjQ3MzI5OTQ4MDEsImlhdCI6MTU3OTM5NDgwMSwiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsInN1YiI6InN1Yi0xIn0.OmCSy8PplBCwdLnn_uOy3ADq_9bjXznyNwhyuCI5uaaZzWusHNMg0KKEk-2vKo9adbZKHfqGk0ID3ONWOPIy2WYkpHTMU_4FY7dP7pdORjqIVuIQ6ZNLVLjiOg_LM5Se-Gvq53p61Zqb25Io_gyHqsXzyYDrWOzYDmkjOK6HNjPLhEgnZipwZ2eYiZnhYXwyYSnnuxV6FosbCvA-nFiJcbIsQObzBGC6SDZhtuAcZf1i54K16se1yiiI-LwUkyA3DZhf0P-pWEo-LfBCMVqHBuhBGeQ6twfbfU5O5KRxroxno8v7uJON0LFqP-4uv1CX2Fta4MT_hAizqNX1z4Bkxw";
  static final String TokenIssuer1WithAzp = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJhenAiOiJiYXIiLCJleHAiOjQ3MzQxMjU0NTMsImlhdCI6MTU4MDUyNTQ1MywiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsInN1YiI6InN1Yi0xIn0.SO4qjRJPYItkpGGpCDfEhaUfdthO8L9b_aawao4dJKyqqXN0uYdsJau_JZzyPQ1emAmJP7VyjwELrlszA6xV65na_O-eny23iwhEoroChQMpcr9DWqSUBUfpbHSPFAjUv38SUbQfLgar0HrMxQlTAzB0vyzn2g6-cukP469ZlOUmzvi9b4UpolTLp_WPgEHKjZw8CL56CcuJqBIKgfn0M7ta2bY_qx-UrsEW0CqnXol7vhXuDAfMeWZYKuDP8qc2VH1T6wpO2JnZ0EaNDuZfQLOWFYKsFGlaYcus9j462AfJQBSFQTbkIjkvKMK6aI_rMEesAnJr2eei1UYi14JYiQ";
  static final String TokenIssuer1WithNestedClaims1 = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ3NTc2MDc4OTYsImlhdCI6MTYwNDAwNzg5NiwiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsIm5lc3RlZCI6eyJrZXkxIjpbInZhbHVlQSIsInZhbHVlQiJdLCJuZXN0ZWQtMiI6eyJrZXkxIjpbInZhbHVlQSIsInZhbHVlQiJdfX0sInN1YiI6InN1Yi0xIn0.l8p-9Yha6uAEC4iahFNHvMxeEvQmBYxegGCiBr2oJpsmKu4IxuOL9RnEQpG5C2xHgF9vBfjifo_Jl1qtMCiKMRsWoFusnNoPwbk3mUp1Y8t1mvOkVPp4roed6tM5NmhUQMyP106sru4DszS1QNfDyGtpZZny2ls5Mva-B3kxclLjswXuRb5v70YKfqpYVDtZbltZg5CD2-V6ZwJgx2ZlXCOob-7uCDyaLSRWLxS8tFMo_akdWFCxpnkGJUtS5R1nAcofX5vYSqxfcKMSJpKMluDcX859jQ9zu_eBfAjvniVP8iOuZU-JKI2GywL3x1hBfD4ebSvNiEs7jCszagIM8Q";
  static final String TokenIssuer1WithNestedClaims2 = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ3NTc2MDgwMTgsImlhdCI6MTYwNDAwODAxOCwiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsIm5lc3RlZCI6eyJrZXkyIjoidmFsdWVDIiwibmVzdGVkLTIiOnsia2V5MiI6InZhbHVlQyJ9fSwic3ViIjoic3ViLTEifQ.dPBVaeOoMBFh9EFovHtmG2V-Bw106kUAV4GTPTVwoOaLxVUfAIpumrGX1fvEYLmtdwEkkL2CkkDdmKbsBgJBfnwg04oMeyHHrpSe5Y-8NJWGGxaBTzc7btWIbc1IPvj0vw_jIBeSqpXyW2Kd1Rc9kxK8rRuTdAeSK6oKcqg5d6kw-fC5PeiDlnuBH7F-xIaPYOHSxlKjC6TSP6-JYlQHw-uZ6rJmFwhUvc9B06dl3Xgx1W3PmYyt1e4kmHBPbwTgj1ckv8yev1JfIbciaNyQcgMf_eFwgQscHSeUY2e3v6DYAGHAQv0M6o_wweUlHfJP1juxUVA3UfpqC76NeiYipg";
  static final String TokenIssuer1WithCollisionResistantName = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ4MzcyMzE2NTcsImlhdCI6MTY4MzYzMTY1NywiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsInN1YiI6InN1Yi0xIiwidGVzdC1pc3N1ZXItMUBpc3Rpby5pby9uZXN0ZWQiOnsia2V5MSI6InZhbHVlQyIsIm5lc3RlZC0yIjp7ImtleTEiOiJ2YWx1ZUMifX0sInRlc3QtaXNzdWVyLTFAaXN0aW8uaW8vc2ltcGxlIjoidmFsdWVDIn0.kiXEekepka92nbKNZoPrjx4oeg5OI_ILROfZ9RR02tPsaXmVAEXzfsd5foend_seEru85oLXwiBM8uFJgn8hjE9oD4wXs-xGJHpgTogBeiuzIkrWN0o6iD03tYHFKCTUY8O5B5-9NoyYiEL5pNUqPd16VwfMRg_8qaOZPBVqES-mQED8xVL_UXOlkVQEsb2QUZD_9WfkzO1JRk8m1b6gxxxN2Its1jUB-F667yUQ5tUcYbuaus5yG5sWwpAJTXWzakC2Qq6NfB5hV2fwOsVSLUvH6B7sBq6dz6W03-xFH58j_aAAF0ceJ_LsX63hqZfUOeIcbKCRFoe6Ou8cw5sRtw";
  static final String TokenIssuer2 = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ3MTU3ODI3ODMsImdyb3VwcyI6WyJncm91cC0yIl0sImlhdCI6MTU2MjE4Mjc4MywiaXNzIjoidGVzdC1pc3N1ZXItMkBpc3Rpby5pbyIsInN1YiI6InN1Yi0yIn0.KmOIdRoI-FfaWR6xdMWrguOypmqD5UC2VR6B1Cw8V0aBhaqpCBcn5fDvA13mSiU3sx3VFF7-CbnnZVz4j6k2RsYNnWDDJTzr4GnxIXJYJpIRBcE0Au9mcZM0cVhW9BBtKtc0twy0I5S7H7qIAEPBq6iYm8IED409K7YIuI92kLeSe--ehhs1yWmI-YbixYwwq7viD1ZIRdbP5b2ZxU6A0VHnWVXFBGSoYshSLdJS6fnlU480SXyz0oUakDpkaVkz6n9LXolggs6Cz6Gq9OIEs2zUz2DqAJ5h6HChjIQ8AydwQnRMx4qnEbdtqq2qy1h5HHfosq8pcGbiQKf7CSQKHw";
  static final String TokenIssuer2WithSpaceDelimitedPermission = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ3MzA3MzI0OTUsImlhdCI6MTU3NzEzMjQ5NSwiaXNzIjoidGVzdC1pc3N1ZXItMkBpc3Rpby5pbyIsInBlcm1pc3Npb24iOiJyZWFkIHdyaXRlIiwic3ViIjoic3ViLTIifQ.JvzbnDfcA2XD8oeX1kHacGKRCPoKH19Dv8LwJXfob4gbvzplBLk09tKDVOClJ0kFNC2S8mFJJVm-ASAqxJoOfrd74RhsKVtcKVYA7mk3YAnw8oXNrEDJ_sGLBvbVnIOOdylM1V6whoJjn_f6rSvSplzdxNXUQYbuzTn5iyGkA-YSD8zvvCaTkFQqSXBnhLJ-VWHvHMsFUrrcMHSwuGYPm5CblZrCK0ICDqZcKRZh1qw6Elw0ZE46qkZWryOP_e2ydenbgv8MxR7WXkN8zk0Q6XRVmKjQ83ndjULMjye2FFnklFdDbaPC3rR8x0vWgf92hB49IytpLGa95uacryNE1g";
  static final String TokenIssuer2WithSpaceDelimitedScope = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ5MDY4NTQyNDIsImlhdCI6MTc1MzI1NDI0MiwiaXNzIjoidGVzdC1pc3N1ZXItMkBpc3Rpby5pbyIsInNjb3BlIjoid3JpdGUgcmVhZCIsInN1YiI6InN1Yi0yIn0.X0zzVK8drZxDj841SaR2ChtAm8ZE3B9i7gxY_qPTHO9mD8ZOY0LSgbdFV1vOGCxxzKElJPVk63A7AkXMlipOVUrU47_HEjNQGROYyN-o28EbK-TLCx1WDyMo5D5E_w_U2f0SqHJlNY9iEkIalR89xcjpZPf5OhAMf9AFs2QXsAdVb6oWy7rcAU7IFEZ1jNRxGo64JmnGKDgP5YuuDZ0itA5ww2FqTPxJ2abR_aUh7Sn-3XPECiC4VxWZnlYE6R7KSstYHy7SjhjPj8bao8V0lTjVQAYYdlfDom0G8uYcXgHt4dlp3lr5Uphy4RGQWL0f-g_MNWGE1AzolMuzvXxnSw";
  static final String TokenIssuer2WithCustomScopeSpaceDelimitedScope = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJjdXN0b21fc2NvcGUiOiJhZG1pbiB1c2VyIiwiZXhwIjo0OTA4MDA5MjY3LCJpYXQiOjE3NTQ0MDkyNjcsImlzcyI6InRlc3QtaXNzdWVyLTJAaXN0aW8uaW8iLCJzdWIiOiJzdWItMiJ9.fFyBdKyLbKIoZ2sRNFiyuA7iqSM_ROTKiliHtkORdW98zveBkA81x00S8BI6Mdwtx9_SPHpeZh4sTbbaS9t3VLEodoL8OA-PytVmeMVq3r6ZxUhp3leQTq5PUAqodolZ-hANTY0-jbjKG4Jh5-avFUUys2SReGcAwUJRsEpoXsUykhV_o9u9GJ2h5YOu_rGKWETlBbM8BrWOYjgQbwngyuSlHOFQV_pYscjH-HYLxgWU9k3je-O6lHwotdq1wnS1F6cOoHd-mV5HyyA-Ely72ajkD7RIUoXEyBgWsTmcbM9k1d1ARuQs3koNj-g4FjWOkCyvgGLrv2bubRB1QbiAXw";
  static final String TokenIssuer3 = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjQ4NDc4MDE0MzQsImdyb3VwcyI6WyJncm91cC0xIl0sImlhdCI6MTY5NDIwMTQzNCwiaXNzIjoidGVzdC1pc3N1ZXItM0Bpc3Rpby5pbyIsInN1YiI6InN1Yi0xIn0.YaRHh-0yccSHinMxo5eseP_ySSLE3pnFt7oL4HHL7R3RuYfzQsoow1Pc96uShVfOifIFBiC2_sfGje6lw-cJDo-Lw1g3kQOdmAjoQjmuUJMXsRCuR4kxLtREPW-ifcMHrKGoErJrzU8FIiwXwzNBPvrnY4HDHlG40E5wHSyf19sg11NtudLQubjCVaFUwuPCgL6JUqA2y80KReI4lqEz_-G9YoMFCWPnlHK31GHSvuoO0PzJm-H9OF7PSLGZoff0Hs7m5IN2qTo1Mc_wK1QBEmJRHZv6DXNMUtPOAFYzayv3ND6KXzqN4KrAk3d7KW_pVAIBb0oiAiI3TZy2FjYO8g";
  static final String TokenExpired = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJleHAiOjE1NjIxODI4NTYsImdyb3VwcyI6WyJncm91cC0xIl0sImlhdCI6MTU2MjE4Mjg1NSwiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsInN1YiI6InN1Yi0xIn0.o9hp0P5DS66Q7wP38wGo0AKS5HoWdHXrAUdNLnXzVC4MwU4N9o3U0PfDgWp8A7YIbDuuQAtKJyCHEJCV3JEh7Xb5Tz_12hYQcXcJ0FTA6pOXrbWRjkAVMhs3-OHiKt855s39l2OKrLwmJ3ph7LV4z8J8i-2LE2hQH18R00_dcx2agoY1VNYH2LSErBYx6e-HQlKFW8c9sQ1CHG7u4ns1I2e23A0nBlRWRUHUYIMo6sfAPWhyQWl1kpRzg6b3fyXGfUpgeEmdIPDK7MfRUZA-0epFGjvoqCwgMdEEQ-O_pH5y2qV1jPpu-9IO_FdpYhHofKMTn_ql05ys6zoIHj9Gng";
  static final String TokenInvalid = "TokenInvalid";
  static final String TokenIssuer1WithAudList = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRUX3c5TFJOclk3d0phbEdzVFlTdDdydXRaaTg2R3Z5YzBFS1I0Q2FRQXciLCJ0eXAiOiJKV1QifQ.eyJhdWQiOlsiZm9vIiwiYnV6eiJdLCJleHAiOjQ4Njg3MjU5OTMsImlhdCI6MTcxNTEyNTk5MywiaXNzIjoidGVzdC1pc3N1ZXItMUBpc3Rpby5pbyIsInN1YiI6InN1Yi0xIn0.A0rD0DeHInl2thoxfx69A3o8BQvFX_cHNS4-1KNkUsHCD9muyqj4eO0AdRY__wAPGbkzXbESbU5NpHwMXWa1zg6KOMHiLmtze4RmQ8XH3mFMi4eI-Qr2N11Ce40c9SvZurj5lWcRQCtOp4DBNtLvFhueqvpW6odRmuREaN11yxgpQeBM8EzhnF_njDCCqcai0FAms97Nx-fbXS2ASErPm73rmbuUpc5Usm3kzP22t3OP_Q8DlXO53xQPfaBCIo-FGZCWS1UzD37cplHGzKndK1V7PelaFnJE7U95yBdJaMufk1KSX_aPlF6Kjn4lABydlzg8y3IZh5ERZIgSX9cs4w";

  enum Expect { ALLOW, DENY, UNAUTHENTICATED }

  /** One echo call: what the caller's and the target's sidecars put in the CheckRequest. */
  static final class Call {
    String principal = A1;
    String sourceIp = A1_IP;
    String destinationIp = B_IP;
    int port = HTTP;
    String method = "GET";
    String path = "/";
    String host = "b.ns1.svc.cluster.local:80";
    String sni;
    com.google.protobuf.Struct payload;
    final Map<String, String> headers = new LinkedHashMap<>();
    boolean http = true;
    String namespace = NS1;
    String workload = "b";
    Map<String, String> labels = Map.of("app", "b");

    Call from(String principal, String ip) {
      this.principal = principal;
      this.sourceIp = ip;
      return this;
    }

    Call port(int p) {
      port = p;
      if (p == GRPC) {
        method = "POST";
        path = "/proto.EchoTestService/Echo";
        headers.put("content-type", "application/grpc");
      } else if (p == TCP) {
        http = false;
      }
      return this;
    }

    Call method(String m) {
      method = m;
      return this;
    }

    Call path(String p) {
      path = p;
      return this;
    }

    Call host(String h) {
      host = h;
      return this;
    }

    Call header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    Call jwt(String token) {
      if (!token.isEmpty()) {
        headers.put("authorization", "Bearer " + token);
      }
      return this;
    }

    /** Claims Envoy's jwt_authn verified and wrote as {@code payload} (Istio's payload_in_metadata). */
    Call payload(String iss, String sub) {
      com.google.protobuf.Struct.Builder claims = com.google.protobuf.Struct.newBuilder();
      if (iss != null) {
        claims.putFields("iss", com.google.protobuf.Value.newBuilder().setStringValue(iss).build());
      }
      if (sub != null) {
        claims.putFields("sub", com.google.protobuf.Value.newBuilder().setStringValue(sub).build());
      }
      payload = com.google.protobuf.Struct.newBuilder()
          .putFields("payload", com.google.protobuf.Value.newBuilder().setStructValue(claims).build()).build();
      return this;
    }

    Call sni(String s) {
      sni = s;
      return this;
    }

    Call to(String namespace, String workload, Map<String, String> labels) {
      this.namespace = namespace;
      this.workload = workload;
      this.labels = labels;
      return this;
    }

    CheckRequest build() {
      AttributeContext.Peer.Builder source = AttributeContext.Peer.newBuilder().setAddress(addr(sourceIp, 40000));
      if (principal != null) {
        source.setPrincipal(principal);
      }
      AttributeContext.Builder a = AttributeContext.newBuilder().setSource(source)
          .setDestination(AttributeContext.Peer.newBuilder().setAddress(addr(destinationIp, port)));
      if (sni != null) {
        a.setTlsSession(AttributeContext.TLSSession.newBuilder().setSni(sni));
      }
      if (http) {
        AttributeContext.HttpRequest.Builder h = AttributeContext.HttpRequest.newBuilder().setMethod(method).setHost(host)
            .setPath(path).putHeaders(":authority", host).putHeaders(":method", method).putHeaders(":path", path);
        headers.forEach(h::putHeaders);
        a.setRequest(AttributeContext.Request.newBuilder().setHttp(h));
      }
      if (payload != null) {
        a.setMetadataContext(io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder()
            .putFilterMetadata(CheckRequestMapper.JWT_AUTHN_FILTER, payload));
      }
      a.putContextExtensions("namespace", namespace).putContextExtensions("workload", workload);
      labels.forEach((k, v) -> a.putContextExtensions("label." + k, v));
      return CheckRequest.newBuilder().setAttributes(a).build();
    }
  }

  static Address addr(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  static Call call() {
    return new Call();
  }

  /** {@code upstream}: headers the echo server must see, "" for one it must not see (jwt_test.go's check.RequestHeaders). */
  /** In {@link Case#upstream}: the client's header reaches the upstream unchanged. */
  static final String KEPT = "<kept>";

  record Case(String name, String yaml, Call call, Expect expect, int trustedProxies, Map<String, String> upstream) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Case> CASES = new ArrayList<>();

  static void add(String name, String yaml, Call call, Expect expect) {
    CASES.add(new Case(name, yaml, call, expect, 0, Map.of()));
  }

  static void add(String name, String yaml, Call call, Map<String, String> upstream) {
    CASES.add(new Case(name, yaml, call, Expect.ALLOW, 0, upstream));
  }

  static void addViaIngress(String name, String yaml, Call call, Expect expect) {
    CASES.add(new Case(name, yaml, call, expect, 1, Map.of()));
  }

  static Expect allowIf(boolean b) {
    return b ? Expect.ALLOW : Expect.DENY;
  }


  // testdata/authz/allow-namespace.yaml.tmpl, .Allowed = ns1/a, .To = b
  static final String ALLOW_NAMESPACE = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: ALLOW
        rules:
          - to:
              - operation: # HTTP
                  ports: [ "18080", "18085" ]
                  paths: [ "/allow" ]
                  methods: [ "GET" ]
            from:
              - source:
                  namespaces: [ "ns1" ]
          - to:
              - operation: # GRPC
                  ports: [ "17070" ]
                  paths: [ "/proto.EchoTestService/Echo" ]
                  methods: [ "POST" ]
            from:
              - source:
                  namespaces: [ "ns1" ]
          - to:
              - operation: # TCP
                  ports: [ "19090" ]
            from:
              - source:
                  namespaces: [ "ns1" ]
      """;

  static final String ALLOW_PRINCIPAL = ALLOW_NAMESPACE.replace("namespaces: [ \"ns1\" ]", "principals: [ \"cluster.local/ns/ns1/sa/a\" ]");
  static final String ALLOW_SERVICEACCOUNT = ALLOW_NAMESPACE.replace("namespaces: [ \"ns1\" ]", "serviceAccounts: [ \"ns1/a\" ]");

  // testdata/authz/allow-trust-domain.yaml.tmpl
  static final String ALLOW_TRUST_DOMAIN = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: ALLOW
        rules:
          - to:
              - operation: # HTTP - allow from cluster.local
                  ports: [ "18080", "18085" ]
                  paths: [ "/allow" ]
                  methods: [ "GET" ]
            from:
              - source:
                  trustDomains: [ "cluster.local" ]
          - to:
              - operation: # HTTP - never matches (wrong trust domain)
                  ports: [ "18080", "18085" ]
                  paths: [ "/deny" ]
                  methods: [ "GET" ]
            from:
              - source:
                  trustDomains: [ "bad.example.com" ]
          - to:
              - operation: # HTTP - never matches (cluster.local is excluded)
                  ports: [ "18080", "18085" ]
                  paths: [ "/not-trust-domain" ]
                  methods: [ "GET" ]
            from:
              - source:
                  notTrustDomains: [ "cluster.local" ]
          - to:
              - operation: # HTTP - always matches (bad.example.com is excluded, cluster.local is not)
                  ports: [ "18080", "18085" ]
                  paths: [ "/not-deny" ]
                  methods: [ "GET" ]
            from:
              - source:
                  notTrustDomains: [ "bad.example.com" ]
          - to:
              - operation: # GRPC
                  ports: [ "17070" ]
                  paths: [ "/proto.EchoTestService/Echo" ]
                  methods: [ "POST" ]
            from:
              - source:
                  trustDomains: [ "cluster.local" ]
          - to:
              - operation: # TCP
                  ports: [ "19090" ]
            from:
              - source:
                  trustDomains: [ "cluster.local" ]
      """;

  // testdata/authz/deny-global.yaml.tmpl, applied in the system namespace
  static final String DENY_GLOBAL = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: policy-deny-system
        namespace: istio-system
      spec:
        action: DENY
        rules:
        - to:
          - operation:
              ports: [ "18080", "18085" ]
              paths: ["/global-deny*"]
              notPaths: ["/global-deny/allow"]
      ---
      """;

  // testdata/authz/deny-namespace.yaml.tmpl, .Denied = ns2/a
  static final String DENY_NAMESPACE = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: DENY
        rules:
          - to:
              - operation: # HTTP
                  ports: [ "18080", "18085" ]
                  paths: [ "/deny*" ]
                  notPaths: ["/deny/allow"]
                  methods: [ "GET" ]
            from:
              - source:
                  namespaces: [ "ns2" ]
          - to:
              - operation: # GRPC
                  ports: [ "17070" ]
                  paths: [ "/proto.EchoTestService/Echo" ]
                  methods: [ "POST" ]
            from:
              - source:
                  namespaces: [ "ns2" ]
          - to:
              - operation: # TCP
                  ports: [ "19090" ]
            from:
              - source:
                  namespaces: [ "ns2" ]
      """;

  static final String DENY_PRINCIPAL = DENY_NAMESPACE.replace("namespaces: [ \"ns2\" ]", "principals: [ \"cluster.local/ns/ns2/sa/a\" ]");

  static final String NOT_NAMESPACE = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-deny, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: DENY
        rules:
          - from:
            - source:
                notNamespaces: [ "ns1" ]
      """;

  static final String NOT_METHOD = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-allow, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: ALLOW
        rules:
          - to:
            - operation:
                notMethods: [ "PUT" ]
      """;

  static final String NOT_PORT = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-allow, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: ALLOW
        rules:
          - to:
            - operation:
                notPorts: [ "18085" ]
      """;

  // testdata/authz/not-host.yaml.tmpl (the AuthorizationPolicy; the Gateway and VirtualService route *.b.com to b)
  static final String NOT_HOST = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: allow-b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: ALLOW
        rules:
          - to:
            - operation:
                notHosts: [ "deny.b.com" ]
      """;

  // testdata/authz/plaintext.yaml.tmpl (the AuthorizationPolicy; PeerAuthentication PERMISSIVE, ns2's DestinationRule
  // DISABLEs mTLS to b, so ns2/a arrives without a peer identity)
  static final String PLAINTEXT = """
      apiVersion: security.istio.io/v1
      kind: PeerAuthentication
      metadata: {name: ns-default, namespace: ns1}
      spec:
        mtls:
          mode: PERMISSIVE
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: DENY
        rules:
          - from:
              - source:
                  notPrincipals: [ "*" ]
      """;

  static final String PATH_PRECEDENCE = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-b-deny, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: DENY
        rules:
          - to:
              - operation:
                  paths: ["/allow/admin"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-b-allow, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: ALLOW
        rules:
          - to:
              - operation:
                  paths: ["/allow*"]
      ---
      """;

  static final String PATH_TEMPLATING = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        action: ALLOW
        rules:
          - to:
              - operation:
                  paths: ["/allow/admin/{**}", "/foo/{*}/bar/{**}", "/store/{**}/cart"]
      """;

  static final String PATH_NORMALIZATION = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        rules:
        - to:
          - operation:
              paths: ["/public*"]
              methods: ["GET"]
      """;

  // testdata/authz/workload.yaml.tmpl, workload-bad, workload-ns (ns1 and ns2), workload-system-ns (istio-system); .To = b
  static final String WORKLOAD = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        rules:
        - to:
          - operation:
              paths: [ "/policy-ns1-b" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-b-bad, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
            "foo": "bla"
        rules:
          - to:
              - operation:
                  paths: [ "/policy-ns1-b-bad" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-ns1-all, namespace: ns1}
      spec:
        rules:
          - to:
              - operation:
                  paths: ["/policy-ns1-all"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-ns2-all, namespace: ns2}
      spec:
        rules:
          - to:
              - operation:
                  paths: ["/policy-ns2-all"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-system-b, namespace: istio-system}
      spec:
        selector:
          matchLabels:
            "app": "b"
        rules:
        - to:
          - operation:
              paths: ["/policy-system-b"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-c, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "c"
        rules:
        - to:
          - operation:
              paths: [ "/policy-ns1-c" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: policy-system-c, namespace: istio-system}
      spec:
        selector:
          matchLabels:
            "app": "c"
        rules:
        - to:
          - operation:
              paths: ["/policy-system-c"]
      """;

  // testdata/authz/ingress-gateway.yaml.tmpl (the AuthorizationPolicy on the ingress gateway; .To = b)
  static final String INGRESS = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: policy-b
        namespace: istio-system
      spec:
        action: DENY
        selector:
          matchLabels:
            app: istio-ingressgateway
        rules:
          - to:
              - operation:
                  hosts: [
                    "deny.b.com",
                    "*.suffix.b.com",
                    "prefix.b.*"]
          - to:
              - operation:
                  hosts: ["internal.b.com"]
              - operation:
                  paths: ["/private"]
          - from:
              - source:
                  remoteIpBlocks: ["172.17.72.46", "192.168.4.0/23"]
            to:
              - operation:
                  hosts: ["remoteipblocks.b.com"]
          - from:
              - source:
                  notRemoteIpBlocks: ["172.23.240.0/22"]
            to:
              - operation:
                  hosts: ["notremoteipblocks.b.com"]
          - to:
              - operation:
                  hosts: ["remoteipattr.b.com"]
            when:
              - key: remote.ip
                values: ["10.242.5.7", "10.124.99.0/24"]
      """;

  // testdata/authz/conditions.yaml.tmpl; .Allowed = ns1/a (10.10.0.1), .Denied = ns2/a (10.20.0.1), .To = b (10.10.0.2)
  static final String CONDITIONS = """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-request-headers, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/request-headers" ]
          when:
          - key: request.headers[x-foo]
            values: [ "foo" ]
        - to:
            - operation:
                paths: [ "/request-headers-notValues" ]
          when:
            - key: request.headers[x-foo]
              notValues: [ "bar" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-source-ip, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/source-ip" ]
          when:
          - key: source.ip
            values: ["10.10.0.1"]
        - to:
            - operation:
                paths: [ "/source-ip-notValues" ]
          when:
            - key: source.ip
              notValues: ["10.20.0.1"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-source-namespace, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/source-namespace" ]
          when:
          - key: source.namespace
            values: [ "ns1" ]
        - to:
            - operation:
                paths: [ "/source-namespace-notValues" ]
          when:
            - key: source.namespace
              notValues: [ "ns2" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-source-principal, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/source-principal" ]
          when:
          - key: source.principal
            values: [ "cluster.local/ns/ns1/sa/a" ]
        - to:
            - operation:
                paths: [ "/source-principal-notValues" ]
          when:
            - key: source.principal
              notValues: [ "cluster.local/ns/ns2/sa/a" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-source-trust-domain, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/source-trust-domain" ]
          when:
          - key: source.trustDomain
            values: [ "cluster.local" ]
        - to:
            - operation:
                paths: [ "/source-trust-domain-notValues" ]
          when:
            - key: source.trustDomain
              notValues: [ "bad.example.com" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-destination-ip, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/destination-ip-good" ]
          when:
          - key: destination.ip
            values: ["10.10.0.2"]
        - to:
          - operation:
              paths: [ "/destination-ip-bad" ]
          when:
          - key: destination.ip
            values: [ "1.2.3.4" ]
        - to:
            - operation:
                paths: [ "/destination-ip-notValues" ]
          when:
            - key: destination.ip
              notValues: ["10.10.0.2"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-destination-port, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/destination-port-good" ]
          when:
          - key: destination.port
            values: [ "18080" ]
        - to:
          - operation:
              paths: [ "/destination-port-bad" ]
          when:
          - key: destination.port
            values: [ "1" ]
        - to:
            - operation:
                paths: [ "/destination-port-notValues" ]
          when:
            - key: destination.port
              notValues: [ "18080" ]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b-connection-sni, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: "b"
        rules:
        - to:
          - operation:
              paths: [ "/connection-sni-good" ]
          when:
          - key: connection.sni
            values: [ "*.b.ns1.svc.cluster.local" ]
        - to:
          - operation:
              paths: [ "/connection-sni-bad" ]
          when:
          - key: connection.sni
            values: [ "never-matched" ]
        - to:
            - operation:
                paths: [ "/connection-sni-notValues" ]
          when:
            - key: connection.sni
              notValues: [ "*.b.ns1.svc.cluster.local" ]
      ---
      """;

  // testdata/authz/jwt.yaml.tmpl, with the JWKS inline instead of the test JWKS server's jwksUri
  static final String JWT = """
      apiVersion: security.istio.io/v1
      kind: RequestAuthentication
      metadata: {name: default, namespace: ns1}
      spec:
        jwtRules:
        - issuer: "test-issuer-1@istio.io"
          jwks: 'JWKS'
        - issuer: "test-issuer-2@istio.io"
          jwks: 'JWKS'
          spaceDelimitedClaims: ["custom_scope", "teams"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            "app": "b"
        rules:
        - to:
          - operation:
              paths: ["/token1"]
              methods: ["GET"]
          from:
          - source:
              requestPrincipals: ["test-issuer-1@istio.io/sub-1"]
        - to:
          - operation:
              paths: ["/token2"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[groups]
            values: ["group-2"]
        - to:
          - operation:
              paths: ["/tokenAny"]
              methods: ["GET"]
          from:
          - source:
              requestPrincipals: ["*"]
        - to:
          - operation:
              paths: ["/scope"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[scope]
            values: ["append", "write"]
        - to:
          - operation:
              paths: ["/otherscope"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[scope]
            values: ["admin"]
        - to:
          - operation:
              paths: ["/permission"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[permission]
            values: ["write", "append"]
        - to:
          - operation:
              paths: ["/custom-scope-admin"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[custom_scope]
            values: ["admin"]
        - to:
          - operation:
              paths: ["/custom-scope-user"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[custom_scope]
            values: ["user"]
        - to:
          - operation:
              paths: ["/nested-key1"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[nested][key1]
            values: ["valueB"]
        - to:
          - operation:
              paths: ["/nested-non-exist"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[nested][non-exist]
            values: ["valueC"]
        - to:
          - operation:
              paths: ["/nested-key2"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[nested][key2]
            values: ["valueC"]
        - to:
          - operation:
              paths: ["/nested-2-key1"]
              methods: ["GET"]
          when:
          - key: request.auth.claims[nested][nested-2][key1]
            values: ["valueA"]
        - to:
          - operation:
              paths: ["/valid-jwt"]
          when:
          - key: request.auth.principal
            values: ["*"]
        - to:
          - operation:
              paths: ["*/presenter"]
          when:
          - key: request.auth.presenter
            values: ["bar"]
        - to:
          - operation:
              paths: ["*/audiences"]
          when:
          - key: request.auth.audiences
            values: ["foo"]
        - to:
          - operation:
              paths: ["/token3"]
              methods: ["GET"]
          from:
          - source:
              notRequestPrincipals: ["test-issuer-1@istio.io/sub-1"]
      ---
      """.replace("JWKS", JWKS);

  // testdata/requestauthn/aud.yaml.tmpl (two RequestAuthentications; jwt_test.go "aud" adds no AuthorizationPolicy)
  static final String AUD = """
      apiVersion: security.istio.io/v1
      kind: RequestAuthentication
      metadata: {name: b-part1, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: b
        jwtRules:
        - issuer: "test-issuer-1@istio.io"
          jwks: 'JWKS'
          audiences:
          - "foo"
        - issuer: "test-issuer-2@istio.io"
          jwks: 'JWKS'
          audiences:
          - "bar"
      ---
      apiVersion: security.istio.io/v1
      kind: RequestAuthentication
      metadata: {name: b-part2, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: b
        jwtRules:
        - issuer: "test-issuer-2@istio.io"
          jwks: 'JWKS'
      """.replace("JWKS", JWKS);

  // testdata/requestauthn/headers-params.yaml.tmpl
  static final String HEADERS_PARAMS = """
      apiVersion: security.istio.io/v1
      kind: RequestAuthentication
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: b
        jwtRules:
        - issuer: "test-issuer-1@istio.io"
          jwks: 'JWKS'
          fromHeaders:
          - name: "x-jwt-token"
            prefix: "Value "
          - name: "auth-token"
            prefix: "Token "
          fromParams:
          - "token"
          - "secondary_token"
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: b, namespace: ns1}
      spec:
        selector:
          matchLabels:
            app: b
        rules:
        - to:
          - operation:
              methods: ["GET"]
          from:
          - source:
              requestPrincipals: ["test-issuer-1@istio.io/sub-1"]
      """.replace("JWKS", JWKS);

  static {
    // TestAuthz_Principal / _ServiceAccount / _Namespace: allowed a (ns1) and denied a (ns2) to b on every port.
    for (String[] t : new String[][] {{"TestAuthz_Principal", ALLOW_PRINCIPAL}, {"TestAuthz_ServiceAccount", ALLOW_SERVICEACCOUNT},
        {"TestAuthz_Namespace", ALLOW_NAMESPACE}}) {
      for (boolean ns1 : new boolean[] {true, false}) {
        String from = ns1 ? "ns1/a" : "ns2/a";
        for (int port : new int[] {GRPC, TCP}) {
          add(t[0] + " " + from + " port " + port, t[1], call().from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).port(port), allowIf(ns1));
        }
        for (int port : new int[] {HTTP, HTTP2}) {
          for (String path : new String[] {"/allow", "/allow?param=value"}) {
            add(t[0] + " " + from + " " + path + " port " + port, t[1], call().from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).port(port).path(path),
                allowIf(ns1));
          }
          for (String path : new String[] {"/deny", "/deny?param=value"}) {
            add(t[0] + " " + from + " " + path + " port " + port, t[1], call().from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).port(port).path(path),
                Expect.DENY);
          }
        }
      }
    }

    // TestAuthz_TrustDomain: a in ns1 (cluster.local) to b.
    for (int port : new int[] {GRPC, TCP}) {
      add("TestAuthz_TrustDomain port " + port, ALLOW_TRUST_DOMAIN, call().port(port), Expect.ALLOW);
    }
    for (int port : new int[] {HTTP, HTTP2}) {
      add("TestAuthz_TrustDomain /allow port " + port, ALLOW_TRUST_DOMAIN, call().port(port).path("/allow"), Expect.ALLOW);
      add("TestAuthz_TrustDomain /deny port " + port, ALLOW_TRUST_DOMAIN, call().port(port).path("/deny"), Expect.DENY);
      add("TestAuthz_TrustDomain /not-trust-domain port " + port, ALLOW_TRUST_DOMAIN, call().port(port).path("/not-trust-domain"),
          Expect.DENY);
      add("TestAuthz_TrustDomain /not-deny port " + port, ALLOW_TRUST_DOMAIN, call().port(port).path("/not-deny"), Expect.ALLOW);
    }

    // TestAuthz_DenyPrincipal / _DenyNamespace, with deny-global in istio-system.
    for (String[] t : new String[][] {{"TestAuthz_DenyPrincipal", DENY_GLOBAL + DENY_PRINCIPAL},
        {"TestAuthz_DenyNamespace", DENY_GLOBAL + DENY_NAMESPACE}}) {
      for (boolean ns1 : new boolean[] {true, false}) {
        String from = ns1 ? "ns1/a" : "ns2/a";
        for (int port : new int[] {GRPC, TCP}) {
          add(t[0] + " " + from + " port " + port, t[1], call().from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).port(port), allowIf(ns1));
        }
        for (int port : new int[] {HTTP, HTTP2}) {
          Map<String, Expect> paths = new LinkedHashMap<>();
          paths.put("/deny", allowIf(ns1));
          paths.put("/deny?param=value", allowIf(ns1));
          paths.put("/deny/allow", Expect.ALLOW);
          paths.put("/deny/allow?param=value", Expect.ALLOW);
          paths.put("/allow", Expect.ALLOW);
          paths.put("/allow?param=value", Expect.ALLOW);
          paths.put("/global-deny", Expect.DENY);
          paths.put("/global-deny?param=value", Expect.DENY);
          paths.put("/global-deny/allow", Expect.ALLOW);
          paths.put("/global-deny/allow?param=value", Expect.ALLOW);
          paths.forEach((path, e) -> add(t[0] + " " + from + " " + path + " port " + port, t[1],
              call().from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).port(port).path(path), e));
        }
      }
    }

    // TestAuthz_NotNamespace: a in ns1 allowed, a in ns2 denied, on every port.
    for (boolean ns1 : new boolean[] {true, false}) {
      for (int port : new int[] {GRPC, TCP, HTTP, HTTP2}) {
        add("TestAuthz_NotNamespace " + (ns1 ? "ns1/a" : "ns2/a") + " port " + port, NOT_NAMESPACE,
            call().from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).port(port), allowIf(ns1));
      }
    }

    // TestAuthz_NotHost via the ingress gateway to b's http port.
    add("TestAuthz_NotHost allow.b.com", NOT_HOST, call().host("allow.b.com"), Expect.ALLOW);
    add("TestAuthz_NotHost deny.b.com", NOT_HOST, call().host("deny.b.com"), Expect.DENY);

    // TestAuthz_NotMethod, TestAuthz_NotPort.
    for (int port : new int[] {HTTP, HTTP2}) {
      add("TestAuthz_NotMethod GET port " + port, NOT_METHOD, call().port(port).method("GET"), Expect.ALLOW);
      add("TestAuthz_NotMethod PUT port " + port, NOT_METHOD, call().port(port).method("PUT"), Expect.DENY);
    }
    add("TestAuthz_NotPort http", NOT_PORT, call().port(HTTP), Expect.ALLOW);
    add("TestAuthz_NotPort http2", NOT_PORT, call().port(HTTP2), Expect.DENY);

    // TestAuthz_DenyPlaintext: ns1/a over mTLS allowed, ns2/a in plaintext (no peer principal) denied, every port.
    for (int port : new int[] {GRPC, TCP, HTTP, HTTP2}) {
      add("TestAuthz_DenyPlaintext ns1/a mTLS port " + port, PLAINTEXT, call().port(port), Expect.ALLOW);
      add("TestAuthz_DenyPlaintext ns2/a plaintext port " + port, PLAINTEXT, call().from(null, A2_IP).port(port), Expect.DENY);
    }

    // TestAuthz_JWT.
    Object[][] jwt = {
        {"[No JWT]", "", "/token1", false}, {"[No JWT]", "", "/token2", false},
        {"[Token1]", TokenIssuer1, "/token1", true}, {"[Token1]", TokenIssuer1, "/token2", false},
        {"[Token2]", TokenIssuer2, "/token1", false}, {"[Token2]", TokenIssuer2, "/token2", true},
        {"[Token3]", TokenIssuer1, "/token3", false}, {"[Token3]", TokenIssuer2, "/token3", true},
        {"[Token1]", TokenIssuer1, "/tokenAny", true}, {"[Token2]", TokenIssuer2, "/tokenAny", true},
        {"[PermissionToken1]", TokenIssuer1, "/permission", false}, {"[PermissionToken2]", TokenIssuer2, "/permission", false},
        {"[PermissionTokenWithSpaceDelimitedPermission]", TokenIssuer2WithSpaceDelimitedPermission, "/permission", true},
        {"[PermissionTokenWithSpaceDelimitedScope]", TokenIssuer2WithSpaceDelimitedScope, "/scope", true},
        {"[PermissionTokenWithSpaceDelimitedScope]", TokenIssuer2WithSpaceDelimitedScope, "/otherscope", false},
        {"[CustomScopeToken]", TokenIssuer2WithCustomScopeSpaceDelimitedScope, "/custom-scope-admin", true},
        {"[CustomScopeToken]", TokenIssuer2WithCustomScopeSpaceDelimitedScope, "/custom-scope-user", true},
        {"[NoJWT]", "", "/custom-scope-admin", false}, {"[NoJWT]", "", "/custom-scope-user", false},
        {"[Token1]", TokenIssuer1, "/custom-scope-admin", false}, {"[Token1]", TokenIssuer1, "/custom-scope-user", false},
        {"[NestedToken1]", TokenIssuer1WithNestedClaims1, "/nested-key1", true},
        {"[NestedToken2]", TokenIssuer1WithNestedClaims2, "/nested-key1", false},
        {"[NestedToken1]", TokenIssuer1WithNestedClaims1, "/nested-key2", false},
        {"[NestedToken2]", TokenIssuer1WithNestedClaims2, "/nested-key2", true},
        {"[NestedToken1]", TokenIssuer1WithNestedClaims1, "/nested-2-key1", true},
        {"[NestedToken2]", TokenIssuer1WithNestedClaims2, "/nested-2-key1", false},
        {"[NestedToken1]", TokenIssuer1WithNestedClaims1, "/nested-non-exist", false},
        {"[NestedToken2]", TokenIssuer1WithNestedClaims2, "/nested-non-exist", false},
        {"[NoJWT]", "", "/tokenAny", false},
        {"[JWTWithAud]", TokenIssuer1WithAud, "/audiences", true}, {"[JWTWithAudList]", TokenIssuer1WithAudList, "/audiences", true},
    };
    for (Object[] j : jwt) {
      for (int port : new int[] {HTTP, HTTP2}) {
        add("TestAuthz_JWT " + j[0] + j[2] + " port " + port, JWT, call().port(port).path((String) j[2]).jwt((String) j[1]),
            allowIf((Boolean) j[3]));
      }
    }

    // TestAuthz_WorkloadSelector "single workload": a (ns1) to b (ns1) and c (ns1).
    add("TestAuthz_WorkloadSelector /policy-ns1-b-bad", WORKLOAD, call().path("/policy-ns1-b-bad"), Expect.DENY);
    add("TestAuthz_WorkloadSelector /policy-ns1-all", WORKLOAD, call().path("/policy-ns1-all"), Expect.ALLOW);
    add("TestAuthz_WorkloadSelector /policy-ns2-all", WORKLOAD, call().path("/policy-ns2-all"), Expect.DENY);
    add("TestAuthz_WorkloadSelector /policy-ns1-b", WORKLOAD, call().path("/policy-ns1-b"), Expect.ALLOW);
    add("TestAuthz_WorkloadSelector /policy-system-b", WORKLOAD, call().path("/policy-system-b"), Expect.ALLOW);
    add("TestAuthz_WorkloadSelector /policy-ns1-c on b", WORKLOAD, call().path("/policy-ns1-c"), Expect.DENY);
    add("TestAuthz_WorkloadSelector /policy-system-c on b", WORKLOAD, call().path("/policy-system-c"), Expect.DENY);
    add("TestAuthz_WorkloadSelector /policy-ns1-c on c", WORKLOAD,
        call().to(NS1, "c", Map.of("app", "c")).path("/policy-ns1-c"), Expect.ALLOW);
    add("TestAuthz_WorkloadSelector /policy-ns1-b on c", WORKLOAD,
        call().to(NS1, "c", Map.of("app", "c")).path("/policy-ns1-b"), Expect.DENY);

    // TestAuthz_PathPrecedence.
    add("TestAuthz_PathPrecedence /allow/admin", PATH_PRECEDENCE, call().path("/allow/admin"), Expect.DENY);
    add("TestAuthz_PathPrecedence /allow/admin?param=value", PATH_PRECEDENCE, call().path("/allow/admin?param=value"), Expect.DENY);
    add("TestAuthz_PathPrecedence /allow", PATH_PRECEDENCE, call().path("/allow"), Expect.ALLOW);
    add("TestAuthz_PathPrecedence /allow?param=value", PATH_PRECEDENCE, call().path("/allow?param=value"), Expect.ALLOW);

    // TestAuthz_PathTemplating.
    Object[][] tmpl = {
        {"/allow/admin/", true}, {"/allow/admin", false}, {"/allow/user/", false}, {"/allow/admin?param=value", false},
        {"/allow", false}, {"/allow/admin/temp", true}, {"/allow/admin/temp.txt", true}, {"/allow/admin/foo/temp.txt", true},
        {"/foo/buzz/bar/bat.txt", true}, {"/foo/buzz/bar/bat.temp.txt", true}, {"/foo/buzz/bar/bat/fuzz.txt", true},
        {"/foo/bar/bat.txt", false}, {"/foo//bar/bat.txt", false}, {"/foo/buzz/bar/bat", true},
        {"/store//cart", true}, {"/store/cart", false}, {"/store/foo/cart", true}, {"/store/foo/bar/cart", true},
    };
    for (Object[] p : tmpl) {
      add("TestAuthz_PathTemplating " + p[0], PATH_TEMPLATING, call().path((String) p[0]), allowIf((Boolean) p[1]));
    }

    // TestAuthz_IngressGateway: calls through the ingress gateway with Host and X-Forwarded-For.
    Object[][] ingress = {
        {"deny.b.com", "/", null, false}, {"DENY.b.COM", "/", null, false}, {"Deny.b.Com", "/", null, false},
        {"deny.suffix.b.com", "/", null, false}, {"DENY.SUFFIX.b.COM", "/", null, false}, {"Deny.Suffix.b.Com", "/", null, false},
        {"prefix.b.com", "/", null, false}, {"PREFIX.b.COM", "/", null, false}, {"Prefix.b.Com", "/", null, false},
        {"www.b.com", "/", "172.16.0.1", true}, {"www.b.com", "/private", "172.16.0.1", false},
        {"www.b.com", "/public", "172.16.0.1", true},
        {"internal.b.com", "/", "172.16.0.1", false}, {"internal.b.com", "/private", "172.16.0.1", false},
        {"remoteipblocks.b.com", "/", "172.17.72.46", false}, {"remoteipblocks.b.com", "/", "192.168.5.233", false},
        {"remoteipblocks.b.com", "/", "10.4.5.6", true},
        {"notremoteipblocks.b.com", "/", "10.2.3.4", false}, {"notremoteipblocks.b.com", "/", "172.23.242.188", true},
        {"remoteipattr.b.com", "/", "10.242.5.7", false}, {"remoteipattr.b.com", "/", "10.124.99.10", false},
        {"remoteipattr.b.com", "/", "10.4.5.6", true},
    };
    for (Object[] g : ingress) {
      Call c = call().to("istio-system", "istio-ingressgateway", Map.of("app", "istio-ingressgateway", "istio", "ingressgateway"))
          .from(null, "10.0.0.9").host((String) g[0]).path((String) g[1]);
      c.destinationIp = "10.0.0.10";
      c.port = 8080;
      if (g[2] != null) {
        c.header("x-forwarded-for", (String) g[2]);
      }
      addViaIngress("TestAuthz_IngressGateway " + (g[2] == null ? "" : g[2] + "->") + g[0] + g[1], INGRESS, c, allowIf((Boolean) g[3]));
    }

    // TestAuthz_Conditions: ns1/a (allowed) and ns2/a (denied) to b's http port, with mTLS (SNI as Istio's
    // outbound cluster sets it: outbound_.80_._.b.ns1.svc.cluster.local).
    String sni = "outbound_.80_._.b.ns1.svc.cluster.local";
    for (boolean ns1 : new boolean[] {true, false}) {
      String from = ns1 ? "ns1/a" : "ns2/a";
      java.util.function.Supplier<Call> c = () -> call().from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).sni(sni);
      add("TestAuthz_Conditions " + from + " /request-headers x-foo=foo", CONDITIONS, c.get().path("/request-headers").header("x-foo", "foo"),
          Expect.ALLOW);
      add("TestAuthz_Conditions " + from + " /request-headers x-foo=bar", CONDITIONS, c.get().path("/request-headers").header("x-foo", "bar"),
          Expect.DENY);
      add("TestAuthz_Conditions " + from + " /request-headers", CONDITIONS, c.get().path("/request-headers"), Expect.DENY);
      add("TestAuthz_Conditions " + from + " /request-headers-notValues x-foo=foo", CONDITIONS,
          c.get().path("/request-headers-notValues").header("x-foo", "foo"), Expect.ALLOW);
      add("TestAuthz_Conditions " + from + " /request-headers-notValues x-foo=bar", CONDITIONS,
          c.get().path("/request-headers-notValues").header("x-foo", "bar"), Expect.DENY);
      for (String p : new String[] {"/source-ip", "/source-ip-notValues", "/source-namespace", "/source-namespace-notValues",
          "/source-principal", "/source-principal-notValues"}) {
        add("TestAuthz_Conditions " + from + " " + p, CONDITIONS, c.get().path(p), allowIf(ns1));
      }
      Map<String, Boolean> fixed = new LinkedHashMap<>();
      fixed.put("/source-trust-domain", true);
      fixed.put("/source-trust-domain-notValues", true);
      fixed.put("/destination-ip-good", true);
      fixed.put("/destination-ip-bad", false);
      fixed.put("/destination-ip-notValues", false);
      fixed.put("/destination-port-good", true);
      fixed.put("/destination-port-bad", false);
      fixed.put("/destination-port-notValues", false);
      fixed.put("/connection-sni-good", true);
      fixed.put("/connection-sni-bad", false);
      fixed.put("/connection-sni-notValues", false);
      fixed.put("/other", false);
      fixed.forEach((p, a) -> add("TestAuthz_Conditions " + from + " " + p, CONDITIONS, c.get().path(p), allowIf(a)));
    }

    // jwt_test.go TestRequestAuthentication "aud" (testdata/requestauthn/aud.yaml.tmpl, no AuthorizationPolicy).
    add("TestRequestAuthentication aud invalid-aud", AUD, call().path("/valid-aud").jwt(TokenIssuer1), Expect.DENY);
    add("TestRequestAuthentication aud valid-aud", AUD, call().path("/valid-aud").jwt(TokenIssuer1WithAud), Expect.ALLOW);
    add("TestRequestAuthentication aud verify-policies-are-combined", AUD, call().path("/verify-policies-are-combined").jwt(TokenIssuer2),
        Expect.ALLOW);

    // jwt_test.go TestRequestAuthentication "headers-params".
    add("TestRequestAuthentication headers-params valid-params", HEADERS_PARAMS, call().path("/valid-token?token=" + TokenIssuer1),
        Expect.ALLOW);
    add("TestRequestAuthentication headers-params valid-params-secondary", HEADERS_PARAMS,
        call().path("/valid-token?secondary_token=" + TokenIssuer1), Expect.ALLOW);
    add("TestRequestAuthentication headers-params invalid-params", HEADERS_PARAMS, call().path("/valid-token?token_value=" + TokenIssuer1),
        Expect.DENY);
    add("TestRequestAuthentication headers-params valid-token-set", HEADERS_PARAMS,
        call().path("/valid-token?token=" + TokenIssuer1 + "&secondary_token=" + TokenIssuer1), Expect.ALLOW);
    add("TestRequestAuthentication headers-params invalid-token-set", HEADERS_PARAMS,
        call().path("/valid-token?token=" + TokenIssuer1 + "&secondary_token=" + TokenExpired), Expect.UNAUTHENTICATED);
    add("TestRequestAuthentication headers-params valid-header", HEADERS_PARAMS, call().header("x-jwt-token", "Value " + TokenIssuer1),
        Expect.ALLOW);
    add("TestRequestAuthentication headers-params valid-header-secondary", HEADERS_PARAMS,
        call().header("auth-token", "Token " + TokenIssuer1), Expect.ALLOW);
    add("TestRequestAuthentication headers-params invalid-header", HEADERS_PARAMS,
        call().header("auth-header-param", "Bearer " + TokenIssuer1), Expect.DENY);
    // jwt_test.go TestRequestAuthentication "authn-only" (testdata/requestauthn/authn-only.yaml.tmpl).
    String authnOnly = """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: b, namespace: ns1}
        spec:
          selector:
            matchLabels:
              app: b
          jwtRules:
          - issuer: "test-issuer-1@istio.io"
            jwks: 'JWKS'
            outputPayloadToHeader: "x-test-payload"
            outputClaimToHeaders:
            - header: "x-jwt-iss"
              claim: "iss"
            - header: "x-jwt-iat"
              claim: "iat"
            - header: "x-jwt-nested-claim"
              claim: "nested.nested-2.key2"
          - issuer: "test-issuer-2@istio.io"
            jwks: 'JWKS'
            outputPayloadToHeader: "x-test-payload"
        """.replace("JWKS", JWKS);
    add("TestRequestAuthentication authn-only valid-token-noauthz", authnOnly, call().path("/valid-token-noauthz").jwt(TokenIssuer1),
        Map.of("authorization", "", "x-test-payload", TokenIssuer1.split("\\.")[1], "x-jwt-iss", "test-issuer-1@istio.io",
            "x-jwt-iat", "1562182722"));
    add("TestRequestAuthentication authn-only valid-token-2-noauthz", authnOnly, call().path("/valid-token-2-noauthz").jwt(TokenIssuer2),
        Map.of("authorization", "", "x-test-payload", TokenIssuer2.split("\\.")[1]));
    add("TestRequestAuthentication authn-only expired-token-noauthz", authnOnly, call().path("/expired-token-noauthz").jwt(TokenExpired),
        Expect.UNAUTHENTICATED);
    add("TestRequestAuthentication authn-only expired-token-cors-preflight-request-allowed", authnOnly,
        call().path("/expired-token-cors-preflight-request-allowed").method("OPTIONS").jwt(TokenExpired)
            .header("access-control-request-method", "POST").header("origin", "https://istio.io"), Expect.ALLOW);
    add("TestRequestAuthentication authn-only expired-token-bad-cors-preflight-request-rejected", authnOnly,
        call().path("/expired-token-cors-preflight-request-allowed").method("OPTIONS").jwt(TokenExpired)
            .header("access-control-request-method", "POST"), Expect.UNAUTHENTICATED);
    add("TestRequestAuthentication authn-only no-token-noauthz", authnOnly, call().path("/no-token-noauthz"), Expect.ALLOW);
    add("TestRequestAuthentication authn-only valid-nested-claim-token", authnOnly,
        call().path("/valid-token-noauthz").jwt(TokenIssuer1WithNestedClaims2).header("x-jwt-nested-claim", "value_to_be_replaced"),
        Map.of("authorization", "", "x-test-payload", TokenIssuer1WithNestedClaims2.split("\\.")[1], "x-jwt-iss", "test-issuer-1@istio.io",
            "x-jwt-iat", "1604008018", "x-jwt-nested-claim", "valueC"));

    // jwt_test.go TestRequestAuthentication "authn-authz" and "no-authn-authz".
    String authnAuthz = """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: b, namespace: ns1}
        spec:
          selector:
            matchLabels:
              app: b
          jwtRules:
          - issuer: "test-issuer-1@istio.io"
            jwks: 'JWKS'
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: b, namespace: ns1}
        spec:
          selector:
            matchLabels:
              app: b
          rules:
          - to:
            - operation:
                methods: ["GET"]
            from:
            - source:
                requestPrincipals: ["test-issuer-1@istio.io/sub-1"]
        """.replace("JWKS", JWKS);
    add("TestRequestAuthentication authn-authz valid-token", authnAuthz, call().path("/valid-token").jwt(TokenIssuer1),
        Map.of("authorization", ""));
    add("TestRequestAuthentication authn-authz expired-token", authnAuthz, call().path("/expired-token").jwt(TokenExpired),
        Expect.UNAUTHENTICATED);
    add("TestRequestAuthentication authn-authz no-token", authnAuthz, call().path("/no-token"), Expect.DENY);
    add("TestRequestAuthentication no-authn-authz", "", call().path("/no-authn-authz"), Expect.ALLOW);

    // jwt_test.go TestRequestAuthentication "forward" (testdata/requestauthn/forward.yaml.tmpl: forwardOriginalToken).
    String forward = """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: b, namespace: ns1}
        spec:
          selector:
            matchLabels:
              app: b
          jwtRules:
          - issuer: "test-issuer-1@istio.io"
            jwks: 'JWKS'
            outputPayloadToHeader: "x-test-payload"
            forwardOriginalToken: true
        """.replace("JWKS", JWKS);
    add("TestRequestAuthentication forward valid-token-forward", forward, call().path("/valid-token-forward").jwt(TokenIssuer1),
        Map.of("authorization", KEPT, "x-test-payload", TokenIssuer1.split("\\.")[1]));

    // jwt_test.go TestRequestAuthentication "invalid-jwks": a jwksUri that serves no keys (here a closed loopback port).
    String invalidJwks = """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: b, namespace: ns1}
        spec:
          selector:
            matchLabels:
              app: b
          jwtRules:
          - issuer: "test-issuer-1@istio.io"
            jwksUri: "http://127.0.0.1:1/jwks-not-exist.json"
        """;
    add("TestRequestAuthentication invalid-jwks-valid-token-noauthz", invalidJwks, call().path("/").jwt(TokenIssuer1),
        Expect.UNAUTHENTICATED);
    add("TestRequestAuthentication invalid-jwks-expired-token-noauthz", invalidJwks,
        call().path("/invalid-jwks-valid-token-noauthz").jwt(TokenExpired), Expect.UNAUTHENTICATED);
    add("TestRequestAuthentication invalid-jwks-no-token-noauthz", invalidJwks, call().path("/invalid-jwks-no-token-noauthz"),
        Expect.ALLOW);
    // pilot/pkg/security/authz/builder/testdata/tcp/*-in.yaml: policies on a TCP port, decided as the network RBAC of the
    // matching *-out.yaml does. Target httpbin in foo; callers from ns-1 and ns-2.
    String p1 = "spiffe://cluster.local/ns/ns-1/sa/sa";
    String p2 = "spiffe://cluster.local/ns/ns-2/sa/sa";
    Map<String, String> httpbin = Map.of("app", "httpbin");
    java.util.function.BiFunction<String, Integer, Call> tcp = (principal, port) -> {
      Call c = call().to("foo", "httpbin", httpbin).from(principal, "10.30.0.1").port(TCP);
      c.port = port;
      return c;
    };
    // tcp/allow-only-http: every rule has an HTTP field, so the ALLOW RBAC has no policy and denies all TCP.
    String allowOnlyHttp = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: httpbin-deny, namespace: foo}
        spec:
          action: ALLOW
          rules:
          - from:
            - source:
                requestPrincipals: ["id-1"]
            to:
            - operation:
                methods: ["GET"]
          - from:
            - source:
                namespaces: ["ns-1"]
            to:
            - operation:
                hosts: ["example.com"]
        """;
    add("builder tcp/allow-only-http ns-1:80", allowOnlyHttp, tcp.apply(p1, 80), Expect.DENY);
    add("builder tcp/allow-only-http ns-2:8080", allowOnlyHttp, tcp.apply(p2, 8080), Expect.DENY);
    // tcp/allow-both-http-tcp: only rule[3] (ns-1, port 80) has no HTTP field and survives.
    String allowBoth = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: httpbin-deny, namespace: foo}
        spec:
          action: ALLOW
          rules:
            - from:
                - source:
                    requestPrincipals: ["id-1"]
              to:
                - operation:
                    methods: ["GET"]
            - from:
                - source:
                    namespaces: ["ns-1"]
              to:
                - operation:
                    ports: ["8080"]
                    methods: ["GET"]
            - from:
                - source:
                    namespaces: ["ns-2"]
                    requestPrincipals: ["id-2"]
              to:
                - operation:
                    ports: ["9090"]
            - from:
                - source:
                    namespaces: ["ns-1"]
              to:
                - operation:
                    ports: ["80"]
        """;
    add("builder tcp/allow-both-http-tcp ns-1:80", allowBoth, tcp.apply(p1, 80), Expect.ALLOW);
    add("builder tcp/allow-both-http-tcp ns-1:8080", allowBoth, tcp.apply(p1, 8080), Expect.DENY);
    add("builder tcp/allow-both-http-tcp ns-2:9090", allowBoth, tcp.apply(p2, 9090), Expect.DENY);
    add("builder tcp/allow-both-http-tcp ns-2:80", allowBoth, tcp.apply(p2, 80), Expect.DENY);
    // tcp/deny-both-http-tcp, one rule at a time (rule[0], [1], [2] and [8] lose every field and deny all TCP).
    String denyHead = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: httpbin-deny, namespace: foo}
        spec:
          action: DENY
          rules:
        """;
    String r0 = "  - from: [{source: {requestPrincipals: [\"id-1\"]}}]\n    to: [{operation: {methods: [\"GET\"]}}]\n";
    String r3 = "  - from: [{source: {namespaces: [\"ns-1\"]}}]\n    to: [{operation: {methods: [\"GET\"]}}]\n";
    String r4 = "  - from: [{source: {requestPrincipals: [\"id-1\"]}}]\n    to: [{operation: {ports: [\"80\"]}}]\n";
    String r6 = "  - from: [{source: {namespaces: [\"ns-2\"], requestPrincipals: [\"id-1\"]}}]\n"
        + "    to: [{operation: {ports: [\"8080\"], methods: [\"GET\"]}}]\n";
    String r8 = "  - when: [{key: \"request.headers[:method]\", values: [\"GET\"]}]\n";
    String r9 = "  - when: [{key: \"destination.port\", values: [\"80\"]}]\n";
    add("builder tcp/deny-both-http-tcp rule[0] ns-2:9999", denyHead + r0, tcp.apply(p2, 9999), Expect.DENY);
    add("builder tcp/deny-both-http-tcp rule[0] plaintext:9999", denyHead + r0, tcp.apply(null, 9999), Expect.DENY);
    add("builder tcp/deny-both-http-tcp rule[3] ns-1:9999", denyHead + r3, tcp.apply(p1, 9999), Expect.DENY);
    add("builder tcp/deny-both-http-tcp rule[3] ns-2:9999", denyHead + r3, tcp.apply(p2, 9999), Expect.ALLOW);
    add("builder tcp/deny-both-http-tcp rule[4] ns-2:80", denyHead + r4, tcp.apply(p2, 80), Expect.DENY);
    add("builder tcp/deny-both-http-tcp rule[4] ns-2:81", denyHead + r4, tcp.apply(p2, 81), Expect.ALLOW);
    add("builder tcp/deny-both-http-tcp rule[6] ns-2:8080", denyHead + r6, tcp.apply(p2, 8080), Expect.DENY);
    add("builder tcp/deny-both-http-tcp rule[6] ns-1:8080", denyHead + r6, tcp.apply(p1, 8080), Expect.ALLOW);
    add("builder tcp/deny-both-http-tcp rule[6] ns-2:80", denyHead + r6, tcp.apply(p2, 80), Expect.ALLOW);
    add("builder tcp/deny-both-http-tcp rule[8] ns-1:9999", denyHead + r8, tcp.apply(p1, 9999), Expect.DENY);
    add("builder tcp/deny-both-http-tcp rule[9] ns-1:80", denyHead + r9, tcp.apply(p1, 80), Expect.DENY);
    add("builder tcp/deny-both-http-tcp rule[9] ns-1:81", denyHead + r9, tcp.apply(p1, 81), Expect.ALLOW);
    // pilot/pkg/security/authz/model/generator_test.go TestRequestPrincipal: each requestPrincipals value becomes
    // metadata matchers on the jwt_authn payload's iss and sub (".+" is any non-empty value).
    Object[][] rp = {
        // value, iss, sub, matches
        {"*", "any", "thing", true}, {"*", "any", "", false}, {"*", "", "thing", false}, {"*", "any", null, false},
        {"foo*", "foo", "x", true}, {"foo*", "foobar", "x", true}, {"foo*", "foo", "", false}, {"foo*", "bar", "foo", false},
        {"foo/*", "foo", "x", true}, {"foo/*", "foo/bar", "x", false}, {"foo/*", "foo", "", false},
        {"foo/bar*", "foo", "bar", true}, {"foo/bar*", "foo", "barx", true}, {"foo/bar*", "foox", "bar", false},
        {"*foo", "any", "xfoo", true}, {"*foo", "any", "foox", false}, {"*foo", "", "foo", false}, {"*foo", "a/foo", "x", false},
        {"*/foo", "any", "foo", true}, {"*/foo", "any", "xfoo", false}, {"*/foo", "", "foo", false},
        {"*bar/foo", "xbar", "foo", true}, {"*bar/foo", "bar", "foo", true}, {"*bar/foo", "barx", "foo", false},
        {"*bar/foo", "xbar", "foox", false},
        {"foo/bar", "foo", "bar", true}, {"foo/bar", "foo", "barx", false}, {"foo/bar", "fo", "o/bar", false},
        {"https://idp.example.com/a/b", "https://idp.example.com/a", "b", true},
        {"https://idp.example.com/a/b", "https://idp.example.com", "a/b", false},
    };
    for (Object[] r : rp) {
      String yaml = """
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata: {name: rp, namespace: ns1}
          spec:
            rules:
            - from:
              - source:
                  requestPrincipals: ["VALUE"]
          """.replace("VALUE", (String) r[0]);
      add("generator TestRequestPrincipal " + r[0] + " iss=" + r[1] + " sub=" + r[2], yaml, call().payload((String) r[1], (String) r[2]),
          allowIf((Boolean) r[3]));
    }
    // pilot/pkg/security/authz/model/generator_test.go TestNamespaceMatcherRegex_Match and TestServiceAccountRegex:
    // regex metacharacters in namespaces and service accounts are literal; '*' in a namespace is any text.
    Object[][] ids = {
        {"namespaces: [\"ns.prod\"]", "spiffe://cluster.local/ns/ns.prod/sa/admin", true},
        {"namespaces: [\"ns.prod\"]", "spiffe://cluster.local/ns/nsXprod/sa/admin", false},
        {"namespaces: [\"ns.*.prod\"]", "spiffe://cluster.local/ns/ns.any.prod/sa/admin", true},
        {"namespaces: [\"ns.*.prod\"]", "spiffe://cluster.local/ns/nsXanyXprod/sa/admin", false},
        {"serviceAccounts: [\"my-ns/my-sa\"]", "spiffe://cluster.local/ns/my-ns/sa/my-sa", true},
        {"serviceAccounts: [\"my-ns/my-sa\"]", "spiffe://cluster.local/ns/my-ns/sa/my-sa-other", false},
        {"serviceAccounts: [\"my-ns/my-sa\"]", "spiffe://cluster.local/ns/my-ns/x/y/sa/my-sa/z", true},
        {"serviceAccounts: [\"my-sa\"]", "spiffe://cluster.local/ns/ns1/sa/my-sa", true},
        {"serviceAccounts: [\"my-sa\"]", "spiffe://cluster.local/ns/my-ns/sa/my-sa", false},
        {"serviceAccounts: [\"my.ns/my.sa\"]", "spiffe://cluster.local/ns/my.ns/sa/my.sa", true},
        {"serviceAccounts: [\"my.ns/my.sa\"]", "spiffe://cluster.local/ns/myXns/sa/myXsa", false},
        {"serviceAccounts: [\"ns+foo/sa(bar)\"]", "spiffe://cluster.local/ns/ns+foo/sa/sa(bar)", true},
        {"serviceAccounts: [\"ns+foo/sa(bar)\"]", "spiffe://cluster.local/ns/nsfoo/sa/sabar", false},
    };
    for (Object[] r : ids) {
      String yaml = """
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata: {name: ids, namespace: ns1}
          spec:
            rules:
            - from:
              - source: {FIELD}
          """.replace("FIELD", (String) r[0]);
      add("generator " + r[0] + " peer " + r[1], yaml, call().from((String) r[1], A1_IP), allowIf((Boolean) r[2]));
    }

    // pilot/pkg/security/authz/builder/testdata/http/dry-run-*-in.yaml: dry-run policies become shadow rules only.
    String dryRunMix = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: httpbin-1
          namespace: foo
          annotations:
            "istio.io/dry-run": "true"
        spec:
          selector:
            matchLabels:
              app: httpbin
              version: v1
          action: ALLOW
          rules:
            - to:
                - operation:
                    paths: ["/allow"]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: httpbin-2
          namespace: foo
          annotations:
            "istio.io/dry-run": "false"
        spec:
          selector:
            matchLabels:
              app: httpbin
              version: v1
          action: ALLOW
          rules:
            - to:
                - operation:
                    paths: ["/another"]
        """;
    Map<String, String> httpbinV1 = Map.of("app", "httpbin", "version", "v1");
    add("builder http/dry-run-mix /allow", dryRunMix, call().to("foo", "httpbin", httpbinV1).path("/allow"), Expect.DENY);
    add("builder http/dry-run-mix /another", dryRunMix, call().to("foo", "httpbin", httpbinV1).path("/another"), Expect.ALLOW);
    String dryRunAllowAndDeny = dryRunMix.replace("\"istio.io/dry-run\": \"false\"", "\"istio.io/dry-run\": \"true\"")
        .replace("action: ALLOW\n  rules:\n    - to:\n        - operation:\n            paths: [\"/another\"]",
            "action: DENY\n  rules:\n    - to:\n        - operation:\n            paths: [\"/deny\"]");
    if (!dryRunAllowAndDeny.contains("/deny") || dryRunAllowAndDeny.contains("\"false\"")) {
      throw new IllegalStateException("dry-run-allow-and-deny was not written out");
    }
    for (String path : new String[] {"/allow", "/deny", "/other"}) {
      add("builder http/dry-run-allow-and-deny " + path, dryRunAllowAndDeny, call().to("foo", "httpbin", httpbinV1).path(path), Expect.ALLOW);
    }
    // TestAuthz_PathNormalization (testdata/authz/path-normalization.yaml.tmpl), Istio's default BASE normalisation.
    Object[][] norm = {
        {"/public", true}, {"/public/../public", true}, {"/private", false}, {"/public/../private", false},
        {"/public/./../private", false}, {"/public/.././private", false}, {"/public/%2E%2E/private", false},
        {"/public/%2e%2e/private", false}, {"/public/%2E/%2E%2E/private", false}, {"/public/%2e/%2e%2e/private", false},
        {"/public/%2E%2E/%2E/private", false}, {"/public/%2e%2e/%2e/private", false},
    };
    for (Object[] n : norm) {
      add("TestAuthz_PathNormalization " + n[0], PATH_NORMALIZATION, call().path((String) n[0]), allowIf((Boolean) n[1]));
    }

    // TestAuthz_EgressGateway (testdata/authz/egress-gateway.yaml.tmpl): a (ns1, allowed) and a (ns2) call the egress
    // gateway over Istio mTLS with a Host header and maybe a JWT; the RequestAuthentication is mesh-wide.
    String egress = """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata:
          name: default
          namespace: istio-system
        spec:
          jwtRules:
            - issuer: "test-issuer-1@istio.io"
              jwks: 'JWKS'
            - issuer: "test-issuer-2@istio.io"
              jwks: 'JWKS'
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: egressgateway
          namespace: istio-system
        spec:
          selector:
            matchLabels:
              app: istio-egressgateway
          rules:
            - to: # only allow /allow for company.com
                - operation:
                    paths: [ "/allow" ]
                    hosts: [ "www.company.com" ]
            - to: # checks only a call 443 over istio mutual without JWT
                - operation:
                    hosts: [ "a-ns1-only.com" ]
              from:
                - source:
                    principals: [ "cluster.local/ns/ns1/sa/a" ]
            - to: # checks workload can call 443 over istio mutual with JWT
                - operation:
                    hosts: [ "jwt-only.com" ]
              from:
                - source:
                    requestPrincipals: [ "test-issuer-1@istio.io/sub-1" ]
            - to: # checks only a can call 443 over istio mutual with JWT
                - operation:
                    hosts: [ "jwt-and-a-ns1-only.com" ]
              from:
                - source:
                    requestPrincipals: [ "test-issuer-1@istio.io/sub-1" ]
                    principals: [ "cluster.local/ns/ns1/sa/a" ]
        ---
        """.replace("JWKS", JWKS);
    for (boolean ns1 : new boolean[] {true, false}) {
      Object[][] eg = {
          {"www.company.com", "/allow", "", true}, {"www.company.com", "/deny", "", false},
          {"a-ns1-only.com", "/", "", ns1}, {"jwt-only.com", "/", TokenIssuer1, true}, {"jwt-only.com", "/", TokenIssuer2, false},
          {"jwt-and-a-ns1-only.com", "/", TokenIssuer1, ns1}, {"jwt-and-a-ns1-only.com", "/", TokenIssuer2, false},
      };
      for (Object[] e : eg) {
        Call c = call().to("istio-system", "istio-egressgateway", Map.of("app", "istio-egressgateway", "istio", "egressgateway"))
            .from(ns1 ? A1 : A2, ns1 ? A1_IP : A2_IP).host((String) e[0]).path((String) e[1]).jwt((String) e[2]);
        c.destinationIp = "10.0.0.11";
        c.port = 8080;
        add("TestAuthz_EgressGateway " + (ns1 ? "ns1/a " : "ns2/a ") + e[0] + e[1] + (((String) e[2]).isEmpty() ? "" : " with a JWT of "
            + (e[2] == TokenIssuer1 ? "issuer 1" : "issuer 2")), egress, c, allowIf((Boolean) e[3]));
      }
    }
    // jwt_test.go TestIngressRequestAuthentication (testdata/requestauthn/global-jwt.yaml.tmpl in istio-system, .Services = b).
    String globalJwt = """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata:
          name: "default"
          namespace: istio-system
        spec:
          jwtRules:
          - issuer: "test-issuer-1@istio.io"
            jwks: 'JWKS'
          - issuer: "test-issuer-2@istio.io"
            jwks: 'JWKS'
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: authz-ingress
          namespace: istio-system
        spec:
          selector:
            matchLabels:
              istio: ingressgateway
          rules:
          - to:
            - operation:
                hosts:
                - "example.b.com"
            from:
            - source:
                requestPrincipals: ["test-issuer-1@istio.io/sub-1"]
          - to:
            - operation:
                hosts:
                - "any-request-principal-ok.b.com"
            from:
            - source:
                requestPrincipals: ["*"]
          - to:
            - operation:
                paths: ["/healthz"]
        """.replace("JWKS", JWKS);
    add("TestIngressRequestAuthentication in-mesh-with-expired-token", globalJwt, call().jwt(TokenExpired), Expect.UNAUTHENTICATED);
    add("TestIngressRequestAuthentication in-mesh-without-token", globalJwt, call(), Expect.ALLOW);
    Object[][] ing = {
        {"allow healthz", "example.b.com", "/healthz", "", Expect.ALLOW},
        {"deny without token", "example.b.com", "/", "", Expect.DENY},
        {"allow with sub-1 token", "example.b.com", "/", TokenIssuer1, Expect.ALLOW},
        {"deny with sub-2 token", "example.b.com", "/", TokenIssuer2, Expect.DENY},
        {"deny with expired token", "example.b.com", "/", TokenExpired, Expect.UNAUTHENTICATED},
        {"allow with sub-1 token on any.com", "any-request-principal-ok.b.com", "/", TokenIssuer1, Expect.ALLOW},
        {"allow with sub-2 token on any.com", "any-request-principal-ok.b.com", "/", TokenIssuer2, Expect.ALLOW},
        {"deny without token on any.com", "any-request-principal-ok.b.com", "/", "", Expect.DENY},
    };
    for (Object[] g : ing) {
      Call c = call().to("istio-system", "istio-ingressgateway", Map.of("app", "istio-ingressgateway", "istio", "ingressgateway"))
          .from(null, "10.0.0.9").host((String) g[1]).path((String) g[2]).jwt((String) g[3]);
      c.destinationIp = "10.0.0.10";
      c.port = 8080;
      add("TestIngressRequestAuthentication " + g[0], globalJwt, c, (Expect) g[4]);
    }

    // TestAuthz_WorkloadSelector: the -bad policy selects app: b AND foo: bla, so it applies to a b that has both labels.
    add("TestAuthz_WorkloadSelector /policy-ns1-b-bad on b with foo: bla", WORKLOAD,
        call().to(NS1, "b", Map.of("app", "b", "foo", "bla")).path("/policy-ns1-b-bad"), Expect.ALLOW);
  }

  static Stream<Arguments> cases() {
    return CASES.stream().map(c -> Arguments.of(c));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void decidesAsIstio(Case c) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-01T00:00:00Z"));
    ExtAuthzMetrics metrics = new ExtAuthzMetrics(new Metrics(new PrometheusRegistry()));
    Authenticator authenticator = new Authenticator(
        new JwksRegistry(HttpClient.newHttpClient(), clock, Duration.ofMinutes(5), Duration.ofSeconds(30), metrics), clock, 1000);
    DecisionEngine engine = new DecisionEngine(Policies.load(c.yaml()), authenticator, clock, CacheSettings.defaults(), metrics);
    CheckRequestMapper mapper = new CheckRequestMapper(new CheckRequestMapper.Options(PathNormalizer.Mode.BASE, c.trustedProxies(),
        "payload", CheckRequestMapper.Options.DEFAULT_MAX_HEADER_BYTES));
    Decision d = engine.decide(mapper.map(c.call().build())).get(10, TimeUnit.SECONDS).decision();
    // Compared as the echo client sees it: the HTTP status (a token of another audience is a 403, as Envoy's jwt_authn
    // answers it, although Switchyard counts it as unauthenticated).
    int status = d.result() == Decision.Result.ALLOW ? 200 : d.httpStatus();
    int want = switch (c.expect()) {
      case ALLOW -> 200;
      case DENY -> 403;
      case UNAUTHENTICATED -> 401;
    };
    assertThat(status).as("%s: %s (%s, policy %s)", c.name(), d.result(), d.reason(), d.matchedPolicy()).isEqualTo(want);
    c.upstream().forEach((name, value) -> {
      if (value.equals(KEPT)) {
        assertThat(d.authn().headersToSet()).as(c.name()).doesNotContainKey(name);
        assertThat(d.authn().headersToRemove()).as(c.name()).doesNotContain(name);
      } else if (value.isEmpty()) {
        assertThat(d.authn().headersToSet()).as(c.name()).doesNotContainKey(name);
        assertThat(d.authn().headersToRemove()).as(c.name()).contains(name);
      } else {
        assertThat(d.authn().headersToSet()).as(c.name()).containsEntry(name, value);
      }
    });
  }
}
