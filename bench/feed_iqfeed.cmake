# IQFeed Level 1 parser throughput (docs/FEEDS.md, "DTN IQFeed", "Performance").
add_executable(iqfeed_parse_bench iqfeed_parse_bench.cpp)
target_link_libraries(iqfeed_parse_bench PRIVATE spacetime_feed spacetime_warnings
                                                 benchmark::benchmark_main)
