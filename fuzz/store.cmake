# The SQLite store's tick blocks: a stored blob is read back by every tick query.
spacetime_fuzzer(tick_block_fuzz ${CMAKE_CURRENT_LIST_DIR}/tick_block_fuzz.cpp spacetime_market)
target_include_directories(tick_block_fuzz PRIVATE ${CMAKE_SOURCE_DIR}/src/store/include)
