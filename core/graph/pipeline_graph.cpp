// Graph checks in Vector's order and wording: inputs, cycles, types, consumers.
#include "pipeline_graph.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace cspm::core {
namespace {

Diagnostic at(Diagnostic d, const Location& where) {
  d.file = where.file;
  d.line = where.line;
  d.column = where.column;
  return d;
}

const char* role_name(Role role) {
  switch (role) {
    case Role::source: return "Source";
    case Role::transform: return "Transform";
    case Role::sink: return "Sink";
  }
  return "?";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Depth-first search for a cycle; returns the chain "a -> b -> a" or empty.
bool find_cycle(const PipelineGraph& g, std::size_t n, std::vector<int>& state,
                std::vector<std::size_t>& stack, std::vector<std::size_t>& cycle) {
  state[n] = 1;
  stack.push_back(n);
  for (const std::size_t in : g.nodes[n].inputs) {
    if (state[in] == 1) {
      const auto from = std::find(stack.begin(), stack.end(), in);
      cycle.assign(from, stack.end());
      cycle.push_back(in);
      return true;
    }
    if (state[in] == 0 && find_cycle(g, in, state, stack, cycle)) return true;
  }
  stack.pop_back();
  state[n] = 2;
  return false;
}

}  // namespace

PipelineGraph build_graph(const PipelineSpec& spec, const std::vector<const Factory*>& factories,
                          Diagnostics& diags) {
  PipelineGraph g;
  std::map<std::string, std::size_t> by_id;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < spec.components.size(); ++i) {
    g.nodes.push_back({&spec.components[i], factories[i], {}, 0});
    by_id.emplace(spec.components[i].id, i);
    ids.push_back(spec.components[i].id);
  }
  const Location file_start{spec.source_name, 1, 1};
  const auto count = [&](Role r) {
    return std::count_if(spec.components.begin(), spec.components.end(),
                         [&](const auto& c) { return c.role == r; });
  };
  if (count(Role::source) == 0)
    diags.push_back(at(make_error("E009", "sources", "No sources defined in pipeline \"" + spec.id + "\"."), file_start));
  if (count(Role::sink) == 0)
    diags.push_back(at(make_error("E009", "sinks", "No sinks defined in pipeline \"" + spec.id + "\"."), file_start));

  for (auto& node : g.nodes) {
    const ComponentSpec& c = *node.spec;
    if (c.role != Role::source && c.inputs.empty())
      diags.push_back(at(make_error("E010", c.path("inputs"),
                                    std::string{role_name(c.role)} + " \"" + c.id + "\" has no inputs"),
                         c.location));
    for (std::size_t k = 0; k < c.inputs.size(); ++k) {
      const std::string& input = c.inputs[k];
      const auto found = by_id.find(input);
      if (found == by_id.end()) {
        diags.push_back(at(make_error("E020", c.path("inputs"),
                                      "Input \"" + input + "\" for " + lower(role_name(c.role)) + " \"" + c.id +
                                          "\" doesn't match any components.",
                                      suggest(input, ids)),
                           c.input_locations[k]));
        continue;
      }
      if (std::find(node.inputs.begin(), node.inputs.end(), found->second) != node.inputs.end()) {
        diags.push_back(at(make_error("E011", c.path("inputs"),
                                      std::string{role_name(c.role)} + " \"" + c.id + "\" has input \"" +
                                          input + "\" more than once"),
                           c.input_locations[k]));
        continue;
      }
      if (spec.components[found->second].role == Role::sink) {
        diags.push_back(at(make_error("E020", c.path("inputs"),
                                      "Input \"" + input + "\" is a sink; sinks produce no output"),
                           c.input_locations[k]));
        continue;
      }
      node.inputs.push_back(found->second);
    }
  }

  std::vector<int> state(g.nodes.size(), 0);
  std::vector<std::size_t> stack, cycle;
  for (std::size_t n = 0; n < g.nodes.size() && cycle.empty(); ++n)
    if (state[n] == 0) find_cycle(g, n, state, stack, cycle);
  if (!cycle.empty()) {
    std::string chain;
    for (auto it = cycle.rbegin(); it != cycle.rend(); ++it)
      chain += (chain.empty() ? "" : " -> ") + g.nodes[*it].spec->id;
    diags.push_back(at(make_error("E022", g.nodes[cycle.front()].spec->path("inputs"),
                                  "Cyclic dependency detected in the chain [ " + chain + " ]"),
                       g.nodes[cycle.front()].spec->location));
    return g;
  }

  // Topological order (Kahn), stable in declaration order for reproducible runs.
  std::vector<std::size_t> pending(g.nodes.size());
  for (std::size_t n = 0; n < g.nodes.size(); ++n) pending[n] = g.nodes[n].inputs.size();
  std::vector<bool> done(g.nodes.size(), false);
  while (g.order.size() < g.nodes.size()) {
    bool progressed = false;
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      if (done[n] || pending[n] != 0) continue;
      done[n] = progressed = true;
      g.order.push_back(n);
      for (std::size_t m = 0; m < g.nodes.size(); ++m)
        for (const std::size_t in : g.nodes[m].inputs)
          if (in == n) --pending[m];
    }
    if (!progressed) break;
  }

  // Data types, in topological order so passthrough stages inherit their inputs' types.
  for (const std::size_t n : g.order) {
    GraphNode& node = g.nodes[n];
    if (!node.factory) continue;
    const Ports ports = node.factory->ports();
    DataTypes received = 0;
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      const GraphNode& from = g.nodes[node.inputs[k]];
      if (!from.factory) continue;
      received |= from.output;
      if ((from.output & ports.accepts) == 0) {
        const auto& c = *node.spec;
        const auto idx = std::find(c.inputs.begin(), c.inputs.end(), from.spec->id) - c.inputs.begin();
        diags.push_back(at(make_error("E023", c.path("inputs"),
                                      "Data type mismatch between " + from.spec->id + " (" +
                                          data_types_name(from.output) + ") and " + c.id + " (" +
                                          std::string{node.factory->type()} + " accepts " +
                                          data_types_name(ports.accepts) + ")"),
                           c.input_locations[static_cast<std::size_t>(idx)]));
      }
    }
    node.output = ports.passthrough ? static_cast<DataTypes>(received & ports.accepts) : ports.emits;
  }

  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    const ComponentSpec& c = *g.nodes[n].spec;
    if (c.role == Role::sink) continue;
    const bool consumed = std::any_of(g.nodes.begin(), g.nodes.end(), [&](const GraphNode& m) {
      return std::find(m.inputs.begin(), m.inputs.end(), n) != m.inputs.end();
    });
    if (!consumed) {
      Diagnostic d = make_error("W001", c.path(), std::string{role_name(c.role)} + " \"" + c.id + "\" has no consumers");
      d.level = Diagnostic::Level::warning;
      diags.push_back(at(std::move(d), c.location));
    }
  }
  return g;
}

}  // namespace cspm::core
