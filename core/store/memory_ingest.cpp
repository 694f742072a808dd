// Received batches: parsed and packed by the receiving threads, coalesced per identity and
// written by the committing one.
#include "memory_ingest.hpp"

#include <random>
#include <stdexcept>

#include <cspm/asff_reader.hpp>

#include "observation_state.hpp"
#include "raw_codec.hpp"
#include "raw_packer.hpp"

namespace cspm::store {
namespace {

// Per receiving thread: a reader (its parser's buffers are reused) and a codec for the
// dictionary receivers pack with, rebuilt for another one. Dictionaries are told apart by
// object, not id: two stores in one process may both have a dictionary 1.
struct ThreadParser {
  std::size_t max_record_bytes = 0;
  std::unique_ptr<AsffReader> reader;
  std::shared_ptr<const RawDictionary> dict;
  std::unique_ptr<RawCodec> codec;

  AsffReader& reader_for(std::size_t max) {
    if (!reader || max != max_record_bytes) reader = std::make_unique<AsffReader>(max_record_bytes = max);
    return *reader;
  }
  RawCodec* codec_for(const std::shared_ptr<const RawDictionary>& dictionary) {
    if (!dictionary) return nullptr;
    if (dictionary != dict) {
      codec = std::make_unique<RawCodec>(dictionary->bytes);
      dict = dictionary;
    }
    return codec.get();
  }
};

class Collector final : public FindingHandler {
 public:
  Collector(ParsedBatch& batch, RawCodec* codec, std::int64_t dict) : batch_(batch), codec_(codec), dict_(dict) {}

  void on_finding(const Finding& f, std::string_view raw, std::uint64_t) override {
    ReceivedFinding& r = batch_.findings.emplace_back();
    r.key = identity_key(f);
    r.version = {f.updated_at, content_hash(f), observation_state(f), batch_.findings.size() - 1};
    r.body = std::make_unique<ReceivedBody>();
    if (codec_)
      if (const std::string_view packed = codec_->compress(raw); !packed.empty()) {
        r.body->packed.assign(packed);
        r.body->dict = dict_;
        raw = {};  // the packed bytes are what is stored
      }
    r.body->finding.assign(f, raw);
  }
  void on_malformed(const RecordError& e) override {
    batch_.rejected.push_back({e.line, e.reason, std::string{e.record.substr(0, 64 * 1024)}, e.record_bytes});
  }

 private:
  ParsedBatch& batch_;
  RawCodec* codec_;
  std::int64_t dict_;
};

std::int64_t random_ingest_id() {
  thread_local std::mt19937_64 ids{std::random_device{}()};
  return static_cast<std::int64_t>(ids() >> 1) | 1;  // positive, never 0
}

}  // namespace

ParsedBatch parse_batch(std::string source, std::span<const std::string> documents,
                        std::shared_ptr<const RawDictionary> dictionary, std::size_t max_record_bytes) {
  thread_local ThreadParser thread;
  ParsedBatch batch;
  batch.source = std::move(source);
  batch.findings.reserve(documents.size());
  AsffReader& reader = thread.reader_for(max_record_bytes);
  Collector collector{batch, thread.codec_for(dictionary), dictionary ? dictionary->id : 0};
  ReadStats stats;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (documents[i].size() > max_record_bytes) {  // as the file reader does with a long line
      ++stats.records;
      batch.rejected.push_back({i + 1, "record of " + std::to_string(documents[i].size()) + " bytes is over the limit of " +
                                           std::to_string(max_record_bytes),
                                {}, documents[i].size()});
      continue;
    }
    reader.read_document(documents[i], batch.source, i + 1, collector, stats);
  }
  batch.events = stats.records;
  return batch;
}

IngestResult BatchCommitter::commit(Store& store, std::span<ParsedBatch* const> batches, Timestamp received_at) {
  IngestResult result;
  try {
    result.counts = write(store, batches, received_at);
  } catch (const std::exception& e) {  // the store failed (disk full, read-only…): nothing was stored
    result.status = Status::failure(e.what());
  }
  return result;
}

std::shared_ptr<const RawDictionary> BatchCommitter::dictionary() const {
  const std::lock_guard lock{mutex_};
  return dictionary_;
}

IngestCounts BatchCommitter::write(Store& store, std::span<ParsedBatch* const> batches, Timestamp received_at) {
  IngestCounts counts;
  auto writer = store.begin_write(received_at, random_ingest_id());
  // Versions of each identity, linked in arrival order; the winner is the newest.
  constexpr std::uint32_t kNone = 0xffffffff;
  struct Ref {
    ReceivedFinding* finding;
    std::uint64_t position;
    std::uint32_t next = kNone;
  };
  struct Identity {
    std::uint32_t first, last, winner;
  };
  std::vector<Ref> refs;
  std::vector<Identity> identities;
  std::size_t total = 0;
  for (const ParsedBatch* b : batches) total += b->findings.size();
  refs.reserve(total);
  identities.reserve(total);
  IdentityIndex index;
  index.reserve(total);
  for (std::size_t k = 0; k < batches.size(); ++k) {
    ParsedBatch& b = *batches[k];
    counts.events += b.events;
    for (const RejectedRecord& r : b.rejected)
      writer->quarantine({b.source, r.line, r.reason, r.record, r.record_bytes}, counts);
    for (std::size_t i = 0; i < b.findings.size(); ++i) {
      const auto v = static_cast<std::uint32_t>(refs.size());
      refs.push_back({&b.findings[i], std::uint64_t{k} << 32 | i});
      bool inserted = false;
      const std::uint32_t at = index.find_or_insert(b.findings[i].key, static_cast<std::uint32_t>(identities.size()), inserted);
      if (inserted) {
        identities.push_back({v, v, v});
        continue;
      }
      Identity& id = identities[at];
      refs[id.last].next = v;
      id.last = v;
      if (b.findings[i].version.updated_at >= refs[id.winner].finding->version.updated_at) id.winner = v;  // later input wins ties
    }
  }

  std::optional<RawPacker> packer;  // for winners received as text (before a dictionary was known)
  std::optional<RawDictionary> found;
  std::int64_t new_dictionary = 0;
  std::vector<Version> versions;
  std::string packed, trained;
  for (const Identity& id : identities) {
    versions.clear();
    for (std::uint32_t v = id.first; v != kNone; v = refs[v].next) {
      Version version = refs[v].finding->version;
      version.position = refs[v].position;
      versions.push_back(version);
    }
    if (!refs[id.winner].finding->body)  // the caller dropped the one body needed: a bug, and nothing is stored
      throw std::logic_error("the newest version of a finding has no body");
    const ReceivedBody& w = *refs[id.winner].finding->body;
    if (w.dict) {
      writer->put(w.finding.finding(), PackedRaw{w.dict, w.packed}, versions, counts);
      continue;
    }
    if (!packer) {
      const auto published = dictionary();
      auto held = published ? std::optional{std::pair{published->id, published->bytes}} : writer->raw_dictionary();
      if (held && !published) found = RawDictionary{held->first, held->second};
      packer.emplace(std::move(held), &samples_);
    }
    std::int64_t dict = 0;
    packed.clear();
    trained.clear();
    packer->pack(w.finding.raw(), dict, packed, trained);
    if (!trained.empty()) new_dictionary = writer->add_raw_dictionary(trained);
    if (dict == RawPacker::kNewDictionary) dict = new_dictionary;
    writer->put(w.finding.finding(), dict ? PackedRaw{dict, packed} : PackedRaw{w.finding.raw()}, versions, counts);
  }
  writer->commit();
  if (packer && !packer->trained().empty()) found = RawDictionary{new_dictionary, packer->trained()};
  if (found) {
    const std::lock_guard lock{mutex_};
    dictionary_ = std::make_shared<const RawDictionary>(std::move(*found));
  }
  return counts;
}

}  // namespace cspm::store
