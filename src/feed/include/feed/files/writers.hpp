// The two tick file writers behind TickFileWriter.
#pragma once

#include <memory>

#include "feed/files/output.hpp"
#include "feed/files/tick_source.hpp"
#include "market/symbol.hpp"

namespace spacetime::feed::files {

// Throws std::invalid_argument for a symbol name the format cannot hold unchanged; called
// before the file is created, so a refused registry leaves no empty file behind.
void check_symbols(TickFileFormat format, const market::SymbolRegistry& symbols);

std::unique_ptr<TickEncoder> make_csv_writer(ByteOutput out, const market::SymbolRegistry& symbols,
                                             const TickFileWriterOptions& options);
std::unique_ptr<TickEncoder> make_stt_writer(ByteOutput out, const market::SymbolRegistry& symbols,
                                             const TickFileWriterOptions& options);

}  // namespace spacetime::feed::files
