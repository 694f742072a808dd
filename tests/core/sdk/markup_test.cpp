// Tests for include/cspm/markup.hpp: hostile finding text cannot change a ticket's structure.
#define BOOST_TEST_MODULE markup
#include <boost/test/unit_test.hpp>

#include <cspm/markup.hpp>

using namespace cspm;

BOOST_AUTO_TEST_SUITE(markup_test)

BOOST_AUTO_TEST_CASE(jira_wiki_cannot_open_structure) {
  const std::string out = escape_jira_wiki(
      "a|b||c {noformat}x{noformat} [~accountid:5b10a2844c20165700ede21g] [link|http://evil] "
      "!http://evil/pixel.png! {code}x{code} \\\\ h1. big");
  BOOST_TEST(out.find('|') == std::string::npos);            // no cell boundaries at all
  BOOST_TEST(out.find("{noformat}") == std::string::npos);
  BOOST_TEST(out.find("{code}") == std::string::npos);
  BOOST_TEST(out.find("[~") == std::string::npos);           // no mentions
  // Brackets, braces and bangs only ever appear escaped: no links, images or macros.
  for (std::size_t i = 0; i < out.size(); ++i)
    if (std::string_view{"[]{}!"}.find(out[i]) != std::string_view::npos) BOOST_TEST(out[i - 1] == '\\', i);
  BOOST_TEST(out.find("\\\\") == std::string::npos);         // no forced line breaks
  BOOST_TEST(out.find("&#124;") != std::string::npos);       // the pipe is still shown
}

BOOST_AUTO_TEST_CASE(jira_wiki_bare_links_are_not_clickable) {
  const std::string out = escape_jira_wiki("see https://evil.example/login or mailto:x@evil.example or ftp://f");
  BOOST_TEST(out.find("://") == std::string::npos);
  BOOST_TEST(out.find("mailto:") == std::string::npos);
  BOOST_TEST(out.find("https&#58;//evil.example/login") != std::string::npos);  // still readable
}

BOOST_AUTO_TEST_CASE(jira_wiki_keeps_plain_identifiers_readable) {
  BOOST_TEST(escape_jira_wiki("arn:aws:s3:::s3bucket-9175-6") == "arn:aws:s3:::s3bucket-9175-6");
  BOOST_TEST(escape_jira_wiki("EC2.13") == "EC2.13");
  BOOST_TEST(escape_jira_wiki("-strike- *bold*") == "\\-strike\\- \\*bold\\*");
}

BOOST_AUTO_TEST_CASE(line_breaks_and_controls_become_spaces) {
  BOOST_TEST(escape_jira_wiki("a\nh1. b\r\nc\td") == "a h1. b  c d");
  BOOST_TEST(single_line("x\xE2\x80\xA8y") == "x y");        // U+2028 line separator
  BOOST_TEST(single_line("bad\xFF") == "bad\xEF\xBF\xBD");   // invalid UTF-8 → U+FFFD
  BOOST_TEST(single_line("caf\xC3\xA9") == "caf\xC3\xA9");   // valid UTF-8 untouched
}

BOOST_AUTO_TEST_CASE(markdown_cannot_open_structure) {
  const std::string out = escape_markdown(
      "| cell | <script>alert(1)</script> [x](javascript:alert(1)) @here @alice `code` http://evil");
  BOOST_TEST(out.find("<script>") == std::string::npos);
  BOOST_TEST(out.find("](") == std::string::npos);
  BOOST_TEST(out.find(" @") == std::string::npos);
  BOOST_TEST(out.find("\\|") != std::string::npos);
  BOOST_TEST(out.find("http://") == std::string::npos);      // no bare autolinks
  for (std::size_t i = out.find('|'); i != std::string::npos; i = out.find('|', i + 1))
    BOOST_TEST(out[i - 1] == '\\');
}

BOOST_AUTO_TEST_CASE(html) {
  BOOST_TEST(escape_html("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

BOOST_AUTO_TEST_CASE(safe_urls) {
  BOOST_TEST(is_safe_url("https://docs.aws.amazon.com/console/securityhub/S3.1/remediation"));
  BOOST_TEST(is_safe_url("http://localhost:8080/x?y=1&z=%20"));
  BOOST_TEST(!is_safe_url("javascript:alert(1)"));
  BOOST_TEST(!is_safe_url("https://x|javascript:alert(1)"));
  BOOST_TEST(!is_safe_url("https://x]extra"));
  BOOST_TEST(!is_safe_url("https://x y"));
  BOOST_TEST(!is_safe_url("ftp://x"));
}

BOOST_AUTO_TEST_CASE(utf8_truncation_never_splits_a_character) {
  const std::string s = "ab\xC3\xA9\xE2\x82\xAC";  // a b é €
  BOOST_TEST(truncate_utf8(s, 3) == "ab");
  BOOST_TEST(truncate_utf8(s, 4) == "ab\xC3\xA9");
  BOOST_TEST(truncate_utf8(s, 6) == "ab\xC3\xA9");
  BOOST_TEST(truncate_utf8(s, 100) == s);
}

BOOST_AUTO_TEST_SUITE_END()
