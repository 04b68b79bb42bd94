#include "static_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace spacetime::gateway {
namespace {

std::string_view mime_type(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

StaticFile read_static_file(const std::string& web_root, std::string_view target) {
  // Nothing outside web_root is reachable.
  if (target.empty() || target[0] != '/' || target.find("..") != std::string_view::npos ||
      target.find('\\') != std::string_view::npos) {
    return {400, "text/plain", "bad path\n", {}};
  }
  // Relative to the web root, whatever the number of leading slashes: "//etc/passwd"
  // must not become the absolute path /etc/passwd.
  std::string_view rest = target;
  while (!rest.empty() && rest.front() == '/')
    rest.remove_prefix(1);
  const std::string rel = rest.empty() ? "index.html" : std::string(rest);
  std::error_code ec;
  const auto root = std::filesystem::weakly_canonical(web_root, ec);
  const auto path = std::filesystem::weakly_canonical(root / rel, ec);
  const auto [end, at] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  if (ec || std::filesystem::path(rel).is_absolute() || end != root.end()) {
    return {400, "text/plain", "bad path\n", {}};
  }
  constexpr std::uintmax_t kMaxFile = 64 << 20;
  if (!std::filesystem::is_regular_file(path, ec) ||
      std::filesystem::file_size(path, ec) > kMaxFile) {
    return {404, "text/plain", fmt::format("not found: {}\n", target), {}};
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return {404, "text/plain", fmt::format("not found: {}\n", target), {}};
  std::ostringstream content;
  content << file.rdbuf();
  // Vite puts a content hash in asset names; index.html must always be fresh.
  return {200, std::string(mime_type(path)), std::move(content).str(),
          rel.starts_with("assets/") ? "public, max-age=31536000, immutable" : "no-cache"};
}

}  // namespace spacetime::gateway
