// Escaping of untrusted finding text for each markup a ticket can be rendered in.
#pragma once
#include <string>
#include <string_view>

namespace cspm {

/// Jira wiki markup: the result renders as the literal text, on one line, inside a table
/// cell or a paragraph; it cannot open tables, links (also bare URLs), mentions, macros,
/// images or headings.
std::string escape_jira_wiki(std::string_view text);

/// CommonMark/GFM: literal text on one line, safe inside a table cell; no HTML, no links,
/// no @mentions.
std::string escape_markdown(std::string_view text);

/// HTML text and attribute values.
std::string escape_html(std::string_view text);

/// True for an absolute http(s) URL with no characters that could break out of a link.
bool is_safe_url(std::string_view url) noexcept;

/// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) noexcept;

/// Replaces control characters and line breaks with spaces, drops invalid UTF-8.
std::string single_line(std::string_view text);

}  // namespace cspm
