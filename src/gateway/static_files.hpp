// The web front end's files (web/dist), read for the HTTP session: a path inside the web
// root, or 400/404; Vite's hashed assets cached for a year, index.html never. Beast-free.
#pragma once

#include <string>
#include <string_view>

namespace spacetime::gateway {

struct StaticFile {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string cache_control;
};

StaticFile read_static_file(const std::string& web_root, std::string_view target);

}  // namespace spacetime::gateway
