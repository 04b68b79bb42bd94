# Tick file read and write throughput (CSV, .stt, .stt + zstd).
add_executable(tick_files_bench ${CMAKE_CURRENT_LIST_DIR}/tick_files_bench.cpp)
target_link_libraries(tick_files_bench PRIVATE spacetime_feed spacetime_warnings
                                               benchmark::benchmark_main)
