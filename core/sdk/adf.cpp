// ADF building blocks: text, paragraphs, headings, tables; all text made single-line first.
#include <cspm/adf.hpp>

#include <string>

#include <cspm/markup.hpp>

namespace cspm {
namespace {

using json = nlohmann::json;

json text(std::string_view s, std::string_view link = {}) {
  json node = {{"type", "text"}, {"text", single_line(s)}};
  if (!link.empty()) node["marks"] = json::array({{{"type", "link"}, {"attrs", {{"href", link}}}}});
  return node;
}

// A paragraph of the given text nodes, skipping empty ones (an empty paragraph is valid).
json paragraph(std::initializer_list<json> nodes) {
  json content = json::array();
  for (const json& n : nodes)
    if (n.is_object() && !n["text"].get_ref<const std::string&>().empty()) content.push_back(n);
  json p = {{"type", "paragraph"}};
  if (!content.empty()) p["content"] = std::move(content);
  return p;
}

json heading(std::string_view title) {
  return {{"type", "heading"}, {"attrs", {{"level", 3}}}, {"content", json::array({text(title)})}};
}

json cell(json paragraph_node, bool header = false) {
  return {{"type", header ? "tableHeader" : "tableCell"}, {"content", json::array({std::move(paragraph_node)})}};
}

json row(std::initializer_list<json> cells) {
  json content = json::array();
  for (const json& c : cells) content.push_back(c);
  return {{"type", "tableRow"}, {"content", std::move(content)}};
}

json header_row(std::initializer_list<const char*> titles) {
  json cells = json::array();
  for (const char* t : titles) cells.push_back(cell(paragraph({text(t)}), true));
  return {{"type", "tableRow"}, {"content", std::move(cells)}};
}

json table(json rows) {
  return {{"type", "table"}, {"attrs", {{"isNumberColumnEnabled", false}, {"layout", "default"}}}, {"content", std::move(rows)}};
}

// A link when the URL is safe, else the URL as plain text (shown, never clickable).
json link_text(const std::string& url, std::string_view label) {
  return is_safe_url(url) ? text(label, url) : text(url);
}

}  // namespace

json adf_document(const TicketDocument& doc) {
  json content = json::array();
  if (!doc.intro.empty()) content.push_back(paragraph({text(doc.intro)}));

  content.push_back(heading("Overview"));
  json overview = json::array({header_row({"Field", "Value"})});
  for (const auto& [label, value] : doc.overview)
    overview.push_back(row({cell(paragraph({text(label)})), cell(paragraph({text(value)}))}));
  content.push_back(table(std::move(overview)));

  content.push_back(heading("Vulnerabilities"));
  json issues = json::array(
      {header_row({"Control", "Severity", "Compliance", "Title", "Description", "Remediation", "Findings"})});
  for (const auto& i : doc.issues) {
    json remediation = paragraph({text(i.remediation_text)});
    if (!i.remediation_url.empty()) {
      if (!remediation.contains("content")) remediation["content"] = json::array();
      else remediation["content"].push_back(text(" "));
      remediation["content"].push_back(link_text(i.remediation_url, "Remediation guide"));
    }
    issues.push_back(row({cell(paragraph({text(i.control_id)})), cell(paragraph({text(i.severity)})),
                          cell(paragraph({text(i.compliance_status)})), cell(paragraph({text(i.title)})),
                          cell(paragraph({text(i.description)})), cell(std::move(remediation)),
                          cell(paragraph({text(std::to_string(i.findings))}))}));
  }
  content.push_back(table(std::move(issues)));

  content.push_back(heading("Affected resources"));
  json resources = json::array({header_row({"Resource type", "Resource id", "Region"})});
  for (const auto& r : doc.resources)
    resources.push_back(row({cell(paragraph({text(r.type)})), cell(paragraph({text(r.id)})),
                             cell(paragraph({text(r.region)}))}));
  content.push_back(table(std::move(resources)));
  if (doc.more_resources)
    content.push_back(paragraph({text("+ " + std::to_string(doc.more_resources) + " more resources")}));

  if (!doc.links.empty()) {
    content.push_back(heading("Links"));
    json items = json::array();
    for (const auto& l : doc.links)
      items.push_back({{"type", "listItem"}, {"content", json::array({paragraph({link_text(l, "Finding")})})}});
    content.push_back({{"type", "bulletList"}, {"content", std::move(items)}});
  }
  if (!doc.footer.empty()) {
    content.push_back({{"type", "rule"}});
    content.push_back(paragraph({text(doc.footer)}));
  }
  return {{"version", 1}, {"type", "doc"}, {"content", std::move(content)}};
}

json adf_paragraph(std::string_view s) {
  return {{"version", 1}, {"type", "doc"}, {"content", json::array({paragraph({text(s)})})}};
}

}  // namespace cspm
