// TickFileReader / TickFileWriter: pick the format, own the mapping or the output, and
// delegate to the format's reader or writer.
#include "feed/tick_file.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "feed/files/csv_reader.hpp"
#include "feed/files/mapped_file.hpp"
#include "feed/files/stt_format.hpp"
#include "feed/files/stt_reader.hpp"
#include "feed/files/writers.hpp"

namespace spacetime::feed {
namespace {

std::string extension_of(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// The magic wins over the extension: a renamed .stt file still reads as one.
TickFileFormat detect(std::string_view bytes, const std::filesystem::path* path,
                      TickFileFormat requested) {
  if (requested != TickFileFormat::kAuto) return requested;
  // The magic, or a cut-off one (no text file starts with byte 0x89).
  if (!bytes.empty() && files::stt::kMagicView.starts_with(bytes.substr(0, 8))) {
    return TickFileFormat::kStt;
  }
  if (path != nullptr && extension_of(*path) == ".stt") return TickFileFormat::kStt;
  return TickFileFormat::kCsv;
}

std::unique_ptr<files::TickSource> make_source(std::string_view bytes, std::string name,
                                               TickFileFormat format,
                                               market::SymbolRegistry& symbols,
                                               const TickFileOptions& options) {
  if (format == TickFileFormat::kStt) {
    return std::make_unique<files::SttTickSource>(bytes, std::move(name), symbols, options);
  }
  return std::make_unique<files::CsvTickSource>(bytes, symbols, options);
}

}  // namespace

std::string_view to_string(TickFileFormat format) {
  switch (format) {
    case TickFileFormat::kAuto:
      return "auto";
    case TickFileFormat::kCsv:
      return "csv";
    case TickFileFormat::kStt:
      return "stt";
  }
  return "unknown";
}

std::string_view to_string(LineError error) {
  switch (error) {
    case LineError::kBadHeader:
      return "bad_header";
    case LineError::kFieldCount:
      return "field_count";
    case LineError::kBadTimestamp:
      return "bad_timestamp";
    case LineError::kBadNumber:
      return "bad_number";
    case LineError::kBadSymbol:
      return "bad_symbol";
  }
  return "unknown";
}

std::uint64_t LineErrors::total() const {
  std::uint64_t sum = 0;
  for (const auto n : by_kind)
    sum += n;
  return sum;
}

// ---- reader ----

struct TickFileReader::Impl {
  std::optional<files::MappedFile> mapping;  // declared first: outlives the source
  std::unique_ptr<files::TickSource> source;
};

TickFileReader::TickFileReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TickFileReader::TickFileReader(TickFileReader&&) noexcept = default;
TickFileReader& TickFileReader::operator=(TickFileReader&&) noexcept = default;
TickFileReader::~TickFileReader() = default;

TickFileReader TickFileReader::open(const std::filesystem::path& path,
                                    market::SymbolRegistry& symbols,
                                    const TickFileOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->mapping = files::MappedFile::open(path);
  const std::string_view bytes = impl->mapping->bytes();
  impl->source =
      make_source(bytes, path.string(), detect(bytes, &path, options.format), symbols, options);
  return TickFileReader(std::move(impl));
}

TickFileReader TickFileReader::from_buffer(std::string_view bytes, market::SymbolRegistry& symbols,
                                           const TickFileOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->source =
      make_source(bytes, "<buffer>", detect(bytes, nullptr, options.format), symbols, options);
  return TickFileReader(std::move(impl));
}

std::size_t TickFileReader::read(std::span<market::Tick> out) {
  return impl_->source->read(out);
}
TickFileFormat TickFileReader::format() const {
  return impl_->source->format();
}
std::uint64_t TickFileReader::bytes_read() const {
  return impl_->source->bytes_read();
}
std::uint64_t TickFileReader::total_bytes() const {
  return impl_->source->total_bytes();
}
std::uint64_t TickFileReader::expected_ticks() const {
  return impl_->source->expected_ticks();
}
std::uint64_t TickFileReader::ticks_read() const {
  return impl_->source->ticks_read();
}
const LineErrors& TickFileReader::line_errors() const {
  return impl_->source->line_errors();
}
const RejectCounts& TickFileReader::rejected() const {
  return impl_->source->rejected();
}

std::uint64_t TickFileReader::gaps_read() const {
  return impl_->source->gaps_read();
}

const std::vector<RejectedTick>& TickFileReader::reject_samples() const {
  return impl_->source->reject_samples();
}

// ---- writer ----

struct TickFileWriter::Impl {
  std::unique_ptr<files::TickEncoder> encoder;
};

namespace {

std::unique_ptr<files::TickEncoder> make_encoder(files::ByteOutput out, TickFileFormat format,
                                                 const market::SymbolRegistry& symbols,
                                                 const TickFileWriterOptions& options) {
  if (format == TickFileFormat::kCsv) {
    if (options.zstd) throw std::invalid_argument("zstd compression is for .stt files only");
    return files::make_csv_writer(std::move(out), symbols, options);
  }
  return files::make_stt_writer(std::move(out), symbols, options);
}

}  // namespace

TickFileWriter::TickFileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TickFileWriter::TickFileWriter(TickFileWriter&&) noexcept = default;
TickFileWriter& TickFileWriter::operator=(TickFileWriter&&) noexcept = default;

TickFileWriter::~TickFileWriter() {
  if (!impl_) return;
  try {
    impl_->encoder->close();
  } catch (const std::exception&) {
    // A destructor must not throw; callers who care about the error call close() first.
  }
}

TickFileWriter TickFileWriter::create(const std::filesystem::path& path,
                                      const market::SymbolRegistry& symbols,
                                      const TickFileWriterOptions& options) {
  TickFileFormat format = options.format;
  if (format == TickFileFormat::kAuto) {
    const std::string ext = extension_of(path);
    if (ext == ".csv") {
      format = TickFileFormat::kCsv;
    } else if (ext == ".stt") {
      format = TickFileFormat::kStt;
    } else {
      throw std::invalid_argument("cannot tell the format of " + path.string() +
                                  " from its extension: use .csv or .stt");
    }
  }
  if (format == TickFileFormat::kCsv && options.zstd) {
    throw std::invalid_argument("zstd compression is for .stt files only");
  }
  files::check_symbols(format, symbols);
  auto impl = std::make_unique<Impl>();
  impl->encoder = make_encoder(files::ByteOutput::file(path), format, symbols, options);
  return TickFileWriter(std::move(impl));
}

TickFileWriter TickFileWriter::to_buffer(std::string& out, const market::SymbolRegistry& symbols,
                                         const TickFileWriterOptions& options) {
  if (options.format == TickFileFormat::kAuto) {
    throw std::invalid_argument("a tick file writer to memory needs an explicit format");
  }
  auto impl = std::make_unique<Impl>();
  impl->encoder = make_encoder(files::ByteOutput::memory(out), options.format, symbols, options);
  return TickFileWriter(std::move(impl));
}

void TickFileWriter::write(std::span<const market::Tick> ticks) {
  impl_->encoder->write(ticks);
}
void TickFileWriter::close() {
  impl_->encoder->close();
}
std::uint64_t TickFileWriter::ticks_written() const {
  return impl_->encoder->ticks_written();
}
std::uint64_t TickFileWriter::corrections_skipped() const {
  return impl_->encoder->corrections_skipped();
}
std::uint64_t TickFileWriter::gaps_skipped() const {
  return impl_->encoder->gaps_skipped();
}
std::uint64_t TickFileWriter::bytes_written() const {
  return impl_->encoder->bytes_written();
}

}  // namespace spacetime::feed
