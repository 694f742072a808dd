// BatchWriter's fold thread: stores logged batches in large commits, and when the store
// refuses a group, each batch alone (read whole again from the log if it lost bodies).
#include <algorithm>
#include <stdexcept>

#include "batch_writer.hpp"
#include "batch_writer_item.hpp"

namespace cspm::core {

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
