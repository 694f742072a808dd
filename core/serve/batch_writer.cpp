// Two threads. The log thread commits what callers hand it to the ingest log, all that
// waits in one commit. The fold thread stores logged batches when enough has gathered, when
// the oldest has waited long enough, when someone drains, or when an NDJSON batch waits
// for its own commit. Logged batches that will fold together keep one body per finding,
// so a fold can take all that gathered while the one before it ran.
#include "batch_writer.hpp"

#include <algorithm>
#include <stdexcept>

namespace cspm::core {

struct BatchWriter::Item {
  store::ParsedBatch batch;
  std::string entry;        // the batch's log entry, until logged
  bool solo = false;        // NDJSON: not logged, committed alone, answered after that
  std::int64_t seq = 0;     // in the ingest log, once logged
  Timestamp received_at = 0;
  Clock::time_point logged_at{};
  std::uint64_t order = 0;  // place in to_fold_
  std::uint64_t segment = 0;  // batches of a segment fold together (their bodies were dropped against each other's)
  std::size_t versions = 0;   // its findings, as counted in fold_findings_
  std::size_t held = 0;       // of them, with their bodies
  bool thinned = false;       // a body was dropped: it is read again from the log to fold apart from its segment
  bool folded = false;      // stored (or, solo, answered): leaves to_fold_
  bool refused = false;     // a fold of it failed (it stays, and is retried)
  bool done = false;        // the caller may return
  store::IngestResult result;
};

BatchWriter::BatchWriter(std::filesystem::path data_dir, BatchWriterOptions options)
    : data_dir_(std::move(data_dir)), options_(std::move(options)) {
  log_thread_ = std::thread([this] { run_log(); });
  try {
    fold_thread_ = std::thread([this] { run_fold(); });
  } catch (...) {  // no second thread: stop the first, then say so
    close();
    throw;
  }
}

BatchWriter::~BatchWriter() { close(); }

bool BatchWriter::close() {
  {
    const std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  log_wake_.notify_all();
  fold_wake_.notify_all();
  if (fold_thread_.joinable()) fold_thread_.join();
  else {  // the log thread waits for the folds to end
    const std::lock_guard lock{mutex_};
    folds_done_ = true;
  }
  log_wake_.notify_all();
  if (log_thread_.joinable()) log_thread_.join();
  const std::lock_guard lock{mutex_};
  return to_fold_.size() == solo_ && !unrecovered_;
}

store::IngestResult BatchWriter::log(const PendingBatch& batch) {
  auto item = std::make_shared<Item>();
  item->batch = parse_pending(batch, committer_.dictionary());
  item->entry = store::encode_log_entry(item->batch);
  std::unique_lock lock{mutex_};
  if (log_closed_) return closed_result();
  to_log_.push_back(item);
  log_wake_.notify_one();
  done_.wait(lock, [&] { return item->done; });
  return item->result;
}

store::IngestResult BatchWriter::write(const PendingBatch& batch) {
  auto item = std::make_shared<Item>();
  item->batch = parse_pending(batch, committer_.dictionary());
  item->solo = true;
  std::unique_lock lock{mutex_};
  done_.wait(lock, [&] { return recovered_; });  // after what a stop left, which was logged first
  if (folds_done_) return closed_result();
  close_segment();  // logged batches before and after it fold apart
  item->order = enqueued_++;
  item->segment = next_segment_++;
  item->versions = item->held = item->batch.findings.size();
  fold_findings_ += item->versions;
  held_findings_ += item->held;
  ++solo_;
  to_fold_.push_back(item);
  fold_wake_.notify_one();
  done_.wait(lock, [&] { return item->done; });
  return std::move(item->result);
}

bool BatchWriter::drain() {
  std::unique_lock lock{mutex_};
  const std::uint64_t failures = fold_failures_;
  done_.wait(lock, [&] { return recovered_ || fold_failures_ != failures || folds_done_; });  // what a stop left counts too
  const std::uint64_t target = enqueued_;
  const auto drained = [&] { return to_fold_.empty() || to_fold_.front()->order >= target; };
  if (drained()) return !unrecovered_;
  ++draining_;
  fold_wake_.notify_one();
  done_.wait(lock, [&] { return drained() || fold_failures_ != failures || folds_done_; });
  --draining_;
  return drained() && !unrecovered_;
}

std::size_t BatchWriter::logged_batches() const {
  const std::lock_guard lock{mutex_};
  return to_fold_.size() - solo_;
}

std::size_t BatchWriter::held_findings() const {
  const std::lock_guard lock{mutex_};
  return held_findings_;
}

// ---- the log thread ----

void BatchWriter::run_log() {
  recover();
  std::vector<std::int64_t> unremoved;  // removals that failed: retried with the next round
  std::unique_lock lock{mutex_};
  for (;;) {
    // Logging waits while too much is held unfolded (a fold is due then, or failing).
    const bool can_log = !to_log_.empty() && held_findings_ < options_.max_logged_findings &&
                         fold_findings_ < options_.max_fold_findings;
    if (can_log || !to_remove_.empty()) {
      std::vector<std::shared_ptr<Item>> group;
      if (can_log) {
        group.assign(to_log_.begin(), to_log_.end());
        to_log_.clear();
      }
      std::vector<std::int64_t> folded;
      folded.swap(to_remove_);
      folded.insert(folded.end(), unremoved.begin(), unremoved.end());  // rounds come with work, so no spin
      unremoved.clear();
      logging_ = true;
      lock.unlock();
      if (!log_group(group, folded)) unremoved.insert(unremoved.end(), folded.begin(), folded.end());
      lock.lock();
      logging_ = false;
      for (auto& item : group) {
        if (item->result.status.ok() && item->seq) enqueue_logged(item);
        item->done = true;
      }
      done_.notify_all();
      fold_wake_.notify_one();
      std::vector<std::unique_ptr<store::ReceivedBody>> dropped;
      dropped.swap(dropped_);
      lock.unlock();
      dropped.clear();
      lock.lock();
      continue;
    }
    if (stopping_ && folds_done_) break;
    log_wake_.wait(lock);
  }
  if (!unremoved.empty()) {
    lock.unlock();
    std::vector<std::shared_ptr<Item>> none;
    log_group(none, unremoved);  // a last try; else the next start stores them again (a no-op)
    lock.lock();
  }
  log_closed_ = true;
  for (auto& item : to_log_) {  // only if folds failed at the stop and logging was held back
    item->result = closed_result();
    item->done = true;
  }
  to_log_.clear();
  done_.notify_all();
}

store::IngestResult BatchWriter::closed_result() {
  store::IngestResult r;
  r.status = Status::failure("the daemon is stopping; not stored");
  return r;
}

// What a stop (or a crash) left logged, folded before anything newer.
void BatchWriter::recover() {
  try {
    log_ = std::make_unique<store::IngestLog>(data_dir_);
    for (std::int64_t after = 0;;) {
      std::vector<store::LoggedBatch> logged = log_->read(after, 64);
      if (logged.empty()) break;
      std::vector<std::unique_ptr<store::ReceivedBody>> dropped;  // freed once the lock is released
      const std::lock_guard lock{mutex_};
      for (store::LoggedBatch& l : logged) {
        auto item = std::make_shared<Item>();
        item->batch = std::move(l.batch);
        item->seq = after = l.seq;
        item->received_at = l.received_at;
        item->logged_at = Clock::now() - options_.fold_delay;  // due at once
        enqueue_logged(item);
      }
      dropped.swap(dropped_);
    }
  } catch (const std::exception& e) {  // the log is opened again for the first batch
    log_.reset();
    {
      const std::lock_guard lock{mutex_};
      unrecovered_ = true;  // what was not read stays logged for the next start; drains say so
    }
    if (options_.on_error) options_.on_error(std::string{"ingest log: cannot read it: "} + e.what());
  }
  const std::lock_guard lock{mutex_};
  recovered_ = true;
  done_.notify_all();
  fold_wake_.notify_one();
}

store::IngestResult BatchWriter::log_items(std::span<const std::shared_ptr<Item>> items,
                                           std::span<const std::int64_t> folded) {
  store::IngestResult result;
  try {
    if (!log_) log_ = std::make_unique<store::IngestLog>(data_dir_);
    std::vector<store::IngestLog::Append> appends;
    for (const auto& item : items)
      if (!item->batch.findings.empty() || !item->batch.rejected.empty()) appends.push_back({item->batch.source, item->entry});
    const Timestamp now = system_now();
    const std::vector<std::int64_t> seqs = log_->commit(appends, now, folded);
    std::size_t next = 0;
    for (const auto& item : items) {
      item->received_at = now;
      if (!item->batch.findings.empty() || !item->batch.rejected.empty()) item->seq = seqs[next++];
    }
  } catch (const std::exception& e) {  // the disk failed (full, read-only…): nothing was logged
    result.status = Status::failure(e.what());
  }
  return result;
}

bool BatchWriter::log_group(std::vector<std::shared_ptr<Item>>& group, const std::vector<std::int64_t>& folded) {
  const store::IngestResult result = log_items(group, folded);
  bool removed = result.status.ok();
  if (!result.status.ok()) {
    if (options_.on_error) options_.on_error("ingest log: " + result.status.message());
    if (group.size() > 1) {
      // One batch may be what failed the group: the others should not share its fate, or
      // a sender's retries would keep failing its neighbours.
      for (auto& item : group) item->result.status = log_items({&item, 1}, {}).status;
    } else if (!group.empty()) {
      group.front()->result.status = result.status;
    }
    // Nor should the removals: else one batch a sender keeps resending keeps them all.
    if (!group.empty() && !folded.empty()) removed = log_items({}, folded).status.ok();
  }
  const auto now = Clock::now();
  for (auto& item : group) {
    std::string{}.swap(item->entry);
    item->logged_at = now;
    item->result.counts.events = item->batch.events;
  }
  return removed;
}

// ---- the fold thread ----

void BatchWriter::open_store() {
  if (store_) return;
  store_ = std::make_unique<store::SqliteStore>(data_dir_);
  // A fold rewrites the pages of every finding it stores, and a day's store is ~100 MB: a
  // 128 MB cache holds them, where the store's 64 MB spilled and re-read pages mid-fold
  // (the day replay stored 7% faster with a larger cache; 256 MB did no better than 128).
  store_->database().exec("PRAGMA cache_size = -131072");
  // Every 256 MB of WAL rather than SQLite's 64 MB: folds rewrite the same pages, and a
  // checkpoint copies a page once however often it changed.
  checkpointer_ = std::make_unique<store::WalCheckpointer>(store_->database(), 65536, 262144);
}

bool BatchWriter::fold_due(Clock::time_point now) const {
  if (to_fold_.empty() || !recovered_) return false;
  if (now < retry_at_) return solo_ > 0;  // in a backoff only NDJSON, whose sender waits (take_fold_group)
  return solo_ > 0 || draining_ > 0 || stopping_ || fold_findings_ >= options_.fold_findings ||
         fold_findings_ >= options_.max_fold_findings || held_findings_ >= options_.max_logged_findings ||  // logging waits
         now >= to_fold_.front()->logged_at + options_.fold_delay;
}

void BatchWriter::run_fold() {
  std::unique_lock lock{mutex_};
  for (;;) {
    const auto now = Clock::now();
    if (fold_due(now)) {
      const bool retrying = now >= retry_at_;  // else a backoff, and refused batches wait
      std::vector<std::shared_ptr<Item>> group = take_fold_group(!retrying);
      if (group.empty()) {  // only refused batches, in a backoff: wait for its end
        fold_wake_.wait_until(lock, retry_at_);
        continue;
      }
      lock.unlock();
      const bool stored = fold(group);
      lock.lock();
      if (stored && retrying) {
        backoff_ = std::chrono::milliseconds{0};
        retry_at_ = {};
      } else if (!stored) {  // the log keeps what failed; try again later, less often while it keeps failing
        ++fold_failures_;
        backoff_ = std::min(backoff_.count() ? backoff_ * 2 : options_.retry_delay, options_.retry_delay * 32);
        retry_at_ = Clock::now() + backoff_;
      }
      // What failed stays, in order, each batch whole or read again: it may fold with any.
      for (const auto& item : group) {
        if (item->solo) item->done = true;
        if (!item->folded) {
          item->segment = next_segment_++;
          continue;
        }
        fold_findings_ -= item->versions;
        held_findings_ -= item->held;
        if (item->solo) --solo_;
        else to_remove_.push_back(item->seq);
      }
      std::erase_if(to_fold_, [](const std::shared_ptr<Item>& item) { return item->folded; });
      done_.notify_all();
      log_wake_.notify_one();
      continue;
    }
    if (stopping_ && recovered_ && !logging_ && ((to_log_.empty() && to_fold_.empty()) || now < retry_at_)) break;
    if (to_fold_.empty() || !recovered_) {
      fold_wake_.wait(lock);
    } else if (now < retry_at_) {  // after a failure: wait for the retry, whatever asks for a fold
      fold_wake_.wait_until(lock, retry_at_);
    } else {
      fold_wake_.wait_until(lock, to_fold_.front()->logged_at + options_.fold_delay);
    }
  }
  // Stopped with folds failing: what is logged stays for the next start; answer the rest.
  for (auto& item : to_fold_)
    if (item->solo) {
      item->result = closed_result();
      item->done = true;
    }
  folds_done_ = true;
  log_closed_ = true;  // what came now could only wait in the log for the next start
  done_.notify_all();
  log_wake_.notify_one();
}

// The oldest batches, up to an NDJSON one (which is folded alone). In a backoff, batches the
// store refused are passed over: an NDJSON sender waits for its answer, and they stay logged
// and are retried when the backoff ends.
std::vector<std::shared_ptr<BatchWriter::Item>> BatchWriter::take_fold_group(bool skip_refused) {
  std::vector<std::shared_ptr<Item>> group;
  std::size_t findings = 0;
  for (const auto& item : to_fold_) {
    if (skip_refused && item->refused) continue;
    if (item->solo) {
      if (group.empty()) group.push_back(item);
      break;
    }
    // A segment is never split: its batches hold one body per finding between them.
    if (!group.empty() && findings + item->versions > options_.max_fold_findings && item->segment != group.back()->segment)
      break;
    findings += item->versions;
    group.push_back(item);
  }
  // The fold reads these batches without the lock: later ones must not drop their bodies.
  if (std::any_of(group.begin(), group.end(), [&](const auto& item) { return item->segment == segment_; }))
    close_segment();
  return group;
}

void BatchWriter::enqueue_logged(const std::shared_ptr<Item>& item) {
  if (segment_versions_ >= options_.max_fold_findings) close_segment();
  item->order = enqueued_++;
  item->segment = segment_;
  item->versions = item->held = item->batch.findings.size();
  fold_findings_ += item->versions;
  held_findings_ += item->held;
  segment_versions_ += item->versions;
  for (std::size_t i = 0; i < item->batch.findings.size(); ++i) {
    store::ReceivedFinding& version = item->batch.findings[i];
    bool inserted = false;
    const std::uint32_t at =
        segment_index_.find_or_insert(version.key, static_cast<std::uint32_t>(segment_holders_.size()), inserted);
    if (inserted) {
      segment_holders_.push_back({item.get(), static_cast<std::uint32_t>(i)});
      continue;
    }
    Holder& holder = segment_holders_[at];
    store::ReceivedFinding& held = holder.item->batch.findings[holder.finding];
    if (version.version.updated_at >= held.version.updated_at) {  // the later one wins a tie, as in a commit
      drop_body(*holder.item, held);
      holder = {item.get(), static_cast<std::uint32_t>(i)};
    } else {
      drop_body(*item, version);
    }
  }
  to_fold_.push_back(item);
}

void BatchWriter::drop_body(Item& owner, store::ReceivedFinding& version) {
  dropped_.push_back(std::move(version.body));
  --owner.held;
  --held_findings_;
  owner.thinned = true;
}

void BatchWriter::close_segment() {
  segment_ = next_segment_++;
  segment_versions_ = 0;
  segment_index_ = {};
  segment_holders_ = {};
}

// A batch that lost bodies to others of its segment, whole again from its log entry.
bool BatchWriter::reread(Item& item) {
  try {
    if (!reread_log_) reread_log_ = std::make_unique<store::IngestLog>(data_dir_);
    std::vector<store::LoggedBatch> got = reread_log_->read(item.seq - 1, 1);
    if (got.empty() || got.front().seq != item.seq)
      throw std::runtime_error("entry " + std::to_string(item.seq) + " is gone");
    item.batch = std::move(got.front().batch);
  } catch (const std::exception& e) {
    if (options_.on_error) options_.on_error("ingest log: cannot read " + item.batch.source + " again: " + e.what());
    return false;
  }
  item.thinned = false;
  const std::lock_guard lock{mutex_};
  held_findings_ += item.batch.findings.size() - item.held;
  item.held = item.batch.findings.size();
  return true;
}

bool BatchWriter::fold(std::vector<std::shared_ptr<Item>>& group) {
  // A refused batch folds apart from its segment, so only whole: one whose entry cannot be
  // read again now waits in the log (a commit that needed a dropped body would fail the rest).
  const bool whole = std::erase_if(group, [&](const auto& item) { return item->refused && item->thinned && !reread(*item); }) == 0;
  if (group.empty()) return false;
  const auto commit = [&](std::span<const std::shared_ptr<Item>> items) {
    std::vector<store::ParsedBatch*> batches;
    Timestamp received_at = 0;
    for (const auto& i : items) {
      batches.push_back(&i->batch);
      received_at = std::max(received_at, i->received_at);
    }
    try {
      open_store();
    } catch (const std::exception& e) {
      store::IngestResult failed;
      failed.status = Status::failure(e.what());
      return failed;
    }
    return committer_.commit(*store_, batches, received_at ? received_at : system_now());
  };
  bool all = true;
  const auto settle = [&](std::span<const std::shared_ptr<Item>> items, store::IngestResult r) {
    if (items.front()->solo) {  // answered either way: its sender retries a failure
      items.front()->result = std::move(r);
      items.front()->folded = true;
      return;
    }
    if (!r.status.ok()) {
      all = false;
      for (const auto& i : items) i->refused = true;
      if (options_.on_error)
        options_.on_error("ingest log: " + std::to_string(items.size()) + " logged batches not stored yet (" +
                          items.front()->batch.source + (items.size() > 1 ? "…" : "") + "): " + r.status.message());
      return;
    }
    for (const auto& i : items) i->folded = true;
    if (options_.on_folded) options_.on_folded(r.counts);
  };
  store::IngestResult r = commit(group);
  if (r.status.ok() || group.size() == 1) {
    settle(group, std::move(r));
  } else {
    for (auto& item : group) {
      store::IngestResult alone;
      if (item->thinned && !reread(*item)) alone.status = Status::failure("its log entry could not be read again");
      else alone = commit({&item, 1});
      settle({&item, 1}, std::move(alone));
    }
  }
  return all && whole;
}

}  // namespace cspm::core
