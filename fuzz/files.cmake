# Tick file parsers: CSV lines and .stt headers, blocks and records.
spacetime_fuzzer(csv_reader_fuzz ${CMAKE_CURRENT_LIST_DIR}/csv_reader_fuzz.cpp spacetime_feed)
spacetime_fuzzer(stt_reader_fuzz ${CMAKE_CURRENT_LIST_DIR}/stt_reader_fuzz.cpp spacetime_feed)
