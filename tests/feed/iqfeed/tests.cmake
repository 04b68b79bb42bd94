# The DTN IQFeed client (docs/FEEDS.md ("DTN IQFeed")): pure parts first, then the client against a
# fake IQConnect (test-only, never shipped) over real TCP on 127.0.0.1.
spacetime_test(feed/iqfeed/iqfeed_protocol_test.cpp spacetime_feed)
spacetime_test(feed/iqfeed/iqfeed_framer_test.cpp spacetime_feed)
spacetime_test(feed/iqfeed/iqfeed_clock_test.cpp spacetime_feed)
spacetime_test(feed/iqfeed/iqfeed_trade_window_test.cpp spacetime_feed)

add_library(iqfeed_fake_server STATIC feed/iqfeed/fake_iqconnect.cpp)
target_link_libraries(iqfeed_fake_server PUBLIC Threads::Threads PRIVATE spacetime_warnings)

spacetime_test(feed/iqfeed/fake_iqconnect_test.cpp iqfeed_fake_server)
spacetime_test(feed/iqfeed/iqfeed_client_test.cpp spacetime_feed spacetime_indicators iqfeed_fake_server)
target_compile_definitions(iqfeed_client_test
                           PRIVATE SPACETIME_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")

# A drop under backpressure recorded as a gap: live run == replay, seq included.
spacetime_test(feed/iqfeed/iqfeed_recording_test.cpp spacetime_feed spacetime_engine iqfeed_fake_server)

# The client through the CLI (record and serve --feed iqfeed) against the fake IQConnect.
spacetime_test(integration/iqfeed_cli_test.cpp spacetime_feed iqfeed_fake_server)
target_compile_definitions(iqfeed_cli_test PRIVATE SPACETIME_BIN="$<TARGET_FILE:spacetime>")
add_dependencies(iqfeed_cli_test spacetime)
