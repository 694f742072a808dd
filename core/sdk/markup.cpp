// Escaping for Jira wiki, Markdown and HTML. Finding text is attacker-controlled (anyone who
// can name a resource or write a custom finding), so every renderer goes through here.
#include <cspm/markup.hpp>

#include <cctype>
#include <cstdint>

namespace cspm {
namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n;
  std::uint32_t cp;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; }
  else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; }
  else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string single_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for bytes that are not UTF-8
      ++i;
      continue;
    }
    const auto b = static_cast<unsigned char>(s[i]);
    const bool control = (n == 1 && (b < 0x20 || b == 0x7F)) ||
                         (n == 2 && b == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) ||
                         (n == 3 && s.substr(i, 3) == "\xE2\x80\xA8") ||  // line separator
                         (n == 3 && s.substr(i, 3) == "\xE2\x80\xA9");    // paragraph separator
    if (control) out += ' ';
    else out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string escape_jira_wiki(std::string_view text) {
  const std::string s = single_line(text);
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '\\': out += "&#92;"; break;  // a backslash could escape our own markup
      case ':':
        // "scheme://" and "mailto:" become links in Jira even as plain text.
        if (s.compare(i + 1, 2, "//") == 0 ||
            (i >= 6 && (s.compare(i - 6, 6, "mailto") == 0 || s.compare(i - 6, 6, "MAILTO") == 0)))
          out += "&#58;";
        else
          out += c;
        break;
      case '|': out += "&#124;"; break;  // never a cell boundary, whatever the renderer
      case '{': case '}': case '[': case ']': case '!':
        out += '\\';
        out += c;
        break;
      case '*': case '_': case '+': case '^': case '~': case '?': case '-': {
        // Inline effects need a word boundary on one side; inside words they are literal.
        const bool boundary = i == 0 || i + 1 == s.size() || !alnum(s[i - 1]) || !alnum(s[i + 1]);
        if (boundary) out += '\\';
        out += c;
        break;
      }
      default: out += c;
    }
  }
  return out;
}

std::string escape_markdown(std::string_view text) {
  const std::string s = single_line(text);
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '@': out += "&#64;"; break;  // no @mentions
      case '\\': case '`': case '*': case '_': case '{': case '}': case '[': case ']':
      case '(': case ')': case '#': case '+': case '-': case '.': case '!': case '|':
      case '~': case ':': case '"': case '\'': case '=': case '$':
        out += '\\';  // ':' too: it stops bare URLs from turning into links
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

bool is_safe_url(std::string_view url) noexcept {
  if (url.size() > 2048) return false;
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return false;
  for (const char c : url) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7F) return false;
    switch (c) {
      case '"': case '\'': case '<': case '>': case '[': case ']': case '{': case '}':
      case '|': case '\\': case '^': case '`': case '(': case ')': case '!':
        return false;
      default: break;
    }
  }
  return true;
}

std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

}  // namespace cspm
