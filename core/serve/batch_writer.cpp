// Leader/follower group commit: the first waiting thread writes the queue, the others wait.
#include "batch_writer.hpp"

#include "../store/sqlite_store.hpp"

namespace cspm::core {

struct BatchWriter::Item {
  PendingBatch batch;
  bool shareable = false;
  bool done = false;
  store::IngestResult result;
};

BatchWriter::BatchWriter(std::filesystem::path data_dir, std::size_t max_group_documents)
    : data_dir_(std::move(data_dir)), max_group_documents_(max_group_documents) {}

BatchWriter::~BatchWriter() = default;

store::IngestResult BatchWriter::write(PendingBatch batch, bool shareable) {
  screen_documents(batch);
  auto item = std::make_shared<Item>();
  item->batch = std::move(batch);
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
    std::size_t documents = group.front()->batch.documents.size();
    while (group.front()->shareable && !queue_.empty() && queue_.front()->shareable &&
           documents + queue_.front()->batch.documents.size() <= max_group_documents_) {
      documents += queue_.front()->batch.documents.size();
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
  std::vector<PendingBatch*> batches;
  for (const auto& g : group) batches.push_back(&g->batch);
  const auto write = [&](const std::vector<PendingBatch*>& some) {
    store::IngestResult result;
    try {
      if (!store_) store_ = std::make_unique<store::SqliteStore>(data_dir_);
      store::IngestOptions options;
      options.spool_dir = data_dir_;
      result = ingest_batches(*store_, some, options);
    } catch (const std::exception& e) {
      result.status = Status::failure(e.what());
    }
    return result;
  };
  const store::IngestResult result = write(batches);
  if (!result.status.ok() && group.size() > 1) {
    // One batch may be what failed the group (a record the store refuses): the others
    // should not share its fate, or a sender's retries would keep failing its neighbours.
    for (std::size_t i = 0; i < group.size(); ++i) group[i]->result = write({batches[i]});
    return;
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    group[i]->result.status = result.status;
    if (i == 0) group[i]->result.counts = result.counts;
  }
}

}  // namespace cspm::core
