// Leader/follower group commit: the first waiting thread writes the queue, the others wait.
#include "batch_writer.hpp"


namespace cspm::core {

struct BatchWriter::Item {
  store::ParsedBatch batch;
  bool shareable = false;
  bool done = false;
  store::IngestResult result;
};

BatchWriter::BatchWriter(std::filesystem::path data_dir, std::size_t max_group_findings)
    : data_dir_(std::move(data_dir)), max_group_findings_(max_group_findings) {}

BatchWriter::~BatchWriter() = default;

store::IngestResult BatchWriter::write(const PendingBatch& batch, bool shareable) {
  auto item = std::make_shared<Item>();
  item->batch = parse_pending(batch, committer_.dictionary());
  item->shareable = shareable;
  std::unique_lock lock(mutex_);
  queue_.push_back(item);
  while (!item->done) {
    if (writing_) {
      done_.wait(lock);
      continue;
    }
    // Lead: take the front of the queue (which holds this item or ones before it).
    std::vector<std::shared_ptr<Item>> group{queue_.front()};
    queue_.pop_front();
    std::size_t findings = group.front()->batch.findings.size();
    while (group.front()->shareable && !queue_.empty() && queue_.front()->shareable &&
           findings + queue_.front()->batch.findings.size() <= max_group_findings_) {
      findings += queue_.front()->batch.findings.size();
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    writing_ = true;
    lock.unlock();
    try {
      write_group(group);
    } catch (...) {  // write_group answers failures itself; never leave the others blocked
      for (const auto& g : group) g->result.status = Status::failure("internal error writing the batch");
    }
    lock.lock();
    writing_ = false;
    for (const auto& g : group) g->done = true;
    done_.notify_all();
  }
  return std::move(item->result);
}

void BatchWriter::write_group(const std::vector<std::shared_ptr<Item>>& group) {
  std::vector<store::ParsedBatch*> batches;
  for (const auto& g : group) batches.push_back(&g->batch);
  const auto write = [&](std::span<store::ParsedBatch* const> some) {
    try {
      if (!store_) {
        store_ = std::make_unique<store::SqliteStore>(data_dir_);
        // Every 256 MB of WAL rather than SQLite's 64 MB: a busy day's commits rewrite the
        // same pages, and each checkpoint copies a page once however often it changed.
        checkpointer_ = std::make_unique<store::WalCheckpointer>(store_->database(), 65536, 262144);
      }
    } catch (const std::exception& e) {
      store::IngestResult failed;
      failed.status = Status::failure(e.what());
      return failed;
    }
    return committer_.commit(*store_, some, system_now());
  };
  const store::IngestResult result = write(batches);
  if (!result.status.ok() && group.size() > 1) {
    // One batch may be what failed the group (a record the store refuses): the others
    // should not share its fate, or a sender's retries would keep failing its neighbours.
    // (Alone, each is its own ingest: of two versions with one UpdatedAt in different
    // batches, the stored one then stays, where in one commit the later would win.)
    for (std::size_t i = 0; i < group.size(); ++i) group[i]->result = write({&batches[i], 1});
    return;
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    group[i]->result.status = result.status;
    if (i == 0) group[i]->result.counts = result.counts;
  }
}

}  // namespace cspm::core
