// Two threads; this file has the callers' side and the log thread, which commits what
// callers hand it to the ingest log, all that waits in one commit. The fold thread
// (batch_writer_fold.cpp) stores logged batches when enough has gathered, when the oldest
// has waited long enough, when someone drains, or when an NDJSON batch waits for its own
// commit. Logged batches that will fold together keep one body per finding, so a fold can
// take all that gathered while the one before it ran.
#include "batch_writer.hpp"

#include <algorithm>

#include "batch_writer_item.hpp"

namespace cspm::core {

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

// ---- segments (under mutex_) ----

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

}  // namespace cspm::core
