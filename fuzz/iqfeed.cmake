# The IQFeed line parser and framer (src/feed/iqfeed/protocol.hpp, framer.hpp).
spacetime_fuzzer(iqfeed_line_fuzz iqfeed_line_fuzz.cpp spacetime_feed)
