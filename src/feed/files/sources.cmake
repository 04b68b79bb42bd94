# Tick files (CSV and .stt), their writers and replay: part of spacetime_feed.
target_sources(spacetime_feed PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/csv_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/csv_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mapped_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/output.cpp
  ${CMAKE_CURRENT_LIST_DIR}/replay.cpp
  ${CMAKE_CURRENT_LIST_DIR}/replay_pacer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stt_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stt_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tick_file.cpp)

# libzstd-dev ships a CMake package on Debian 12; GLOBAL so that the executables linking
# spacetime_feed (a static library) from other directories can resolve the target too.
find_package(zstd REQUIRED GLOBAL)
target_link_libraries(spacetime_feed PRIVATE zstd::libzstd_shared)
