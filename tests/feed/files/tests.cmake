# Tick files (CSV, .stt), replay, and the progress bar that `convert` introduced.
spacetime_test(feed/files/csv_reader_test.cpp spacetime_feed)
spacetime_test(feed/files/stt_file_test.cpp spacetime_feed)
spacetime_test(feed/files/replay_test.cpp spacetime_feed Threads::Threads)
spacetime_test(feed/files/replay_pacer_test.cpp spacetime_feed Threads::Threads)
spacetime_test(feed/files/progress_bar_test.cpp spacetime_app)

# `spacetime convert` end to end. tests/data/ticks_small.csv is in the writer's canonical
# form, so CSV -> .stt -> CSV must give it back byte for byte. ticks_truncated.stt is
# ticks_small.csv converted to .stt and cut to its first 300 bytes:
#   spacetime convert tests/data/ticks_small.csv /tmp/s.stt && head -c 300 /tmp/s.stt > tests/data/ticks_truncated.stt
set(convert_data ${PROJECT_SOURCE_DIR}/tests/data)
set(convert_out ${CMAKE_CURRENT_BINARY_DIR}/cli_convert)

add_test(NAME cli.convert_setup COMMAND ${CMAKE_COMMAND} -E make_directory ${convert_out})
set_tests_properties(cli.convert_setup PROPERTIES FIXTURES_SETUP convert_dir)

function(convert_test name regex)
  add_test(NAME cli.convert_${name} COMMAND spacetime convert ${ARGN})
  set_tests_properties(cli.convert_${name} PROPERTIES FIXTURES_REQUIRED convert_dir
                                                      PASS_REGULAR_EXPRESSION "${regex}")
endfunction()

foreach(kind plain zstd)
  set(flags "")
  if(kind STREQUAL "zstd")
    set(flags --zstd)
  endif()
  convert_test(csv_to_stt_${kind} "24 ticks, 0 bad lines, 0 rejected"
               ${convert_data}/ticks_small.csv ${convert_out}/small_${kind}.stt ${flags})
  set_tests_properties(cli.convert_csv_to_stt_${kind} PROPERTIES FIXTURES_SETUP stt_${kind})
  convert_test(stt_to_csv_${kind} "-> .*small_${kind}.csv: 24 ticks"
               ${convert_out}/small_${kind}.stt ${convert_out}/small_${kind}.csv)
  set_tests_properties(cli.convert_stt_to_csv_${kind} PROPERTIES
    FIXTURES_REQUIRED "convert_dir;stt_${kind}" FIXTURES_SETUP csv_${kind})
  add_test(NAME cli.convert_round_trip_identical_${kind}
           COMMAND ${CMAKE_COMMAND} -E compare_files ${convert_data}/ticks_small.csv
                   ${convert_out}/small_${kind}.csv)
  set_tests_properties(cli.convert_round_trip_identical_${kind} PROPERTIES
    FIXTURES_REQUIRED csv_${kind})
endforeach()

convert_test(counts_bad_lines_and_rejects
  "2 ticks, 3 bad lines \\(field_count 1, bad_timestamp 1, bad_number 1\\), 2 rejected \\(bad_price 1, bad_size 1\\)"
  ${convert_data}/ticks_malformed.csv ${convert_out}/malformed.stt)
convert_test(logs_first_bad_line "ticks_malformed.csv:3: expected 6 fields, found 4"
  ${convert_data}/ticks_malformed.csv ${convert_out}/malformed2.stt)
add_test(NAME cli.convert_strict_fails_on_bad_lines
         COMMAND spacetime convert --strict ${convert_data}/ticks_malformed.csv
                 ${convert_out}/strict.stt)
set_tests_properties(cli.convert_strict_fails_on_bad_lines PROPERTIES
  FIXTURES_REQUIRED convert_dir WILL_FAIL TRUE)

convert_test(missing_input "spacetime: error: .*no_such_file.csv: cannot open"
  ${convert_data}/no_such_file.csv ${convert_out}/missing.stt)
convert_test(truncated_input "spacetime: error: .*ticks_truncated.stt: byte offset 300: truncated"
  ${convert_data}/ticks_truncated.stt ${convert_out}/truncated.csv)
convert_test(unknown_output_format "spacetime: error: cannot tell the format of .*out.txt"
  ${convert_data}/ticks_small.csv ${convert_out}/out.txt)
convert_test(zstd_csv "spacetime: error: zstd compression is for .stt files only"
  ${convert_data}/ticks_small.csv ${convert_out}/zstd.csv --zstd)
convert_test(bad_tick_size "spacetime: error: --tick-size"
  ${convert_data}/ticks_small.csv ${convert_out}/tick.stt --tick-size -1)
convert_test(help_lists_options "--zstd.*--tick-size" --help)

# PASS_REGULAR_EXPRESSION ignores the exit code: these check that fatal errors exit non-zero.
function(convert_fails name)
  add_test(NAME cli.convert_${name}_exits_nonzero COMMAND spacetime convert ${ARGN})
  set_tests_properties(cli.convert_${name}_exits_nonzero PROPERTIES
    FIXTURES_REQUIRED convert_dir WILL_FAIL TRUE)
endfunction()
convert_fails(missing_input ${convert_data}/no_such_file.csv ${convert_out}/missing2.stt)
convert_fails(truncated_input ${convert_data}/ticks_truncated.stt ${convert_out}/truncated2.csv)
convert_fails(same_file ${convert_data}/ticks_small.csv ${convert_data}/ticks_small.csv)

# Issue 9: 20 good ticks, one stamped 2099, 20 more. The 2099 tick is rejected by the time
# guard and counted; the later 20 are processed normally (their 1 s bars close, the last at
# the end of the replay; none is
# clamped to 2099).
add_test(NAME cli.replay_tick_from_2099_is_rejected
         COMMAND sh -c "'$<TARGET_FILE:spacetime>' replay '${PROJECT_SOURCE_DIR}/tests/data/ticks_2099.csv' --indicators-out '${CMAKE_CURRENT_BINARY_DIR}/ticks_2099.csv' 2>&1 && echo closed_1s=$(grep -c ',candle,1s,' '${CMAKE_CURRENT_BINARY_DIR}/ticks_2099.csv') in_2099=$(grep -c ',40709' '${CMAKE_CURRENT_BINARY_DIR}/ticks_2099.csv')")
set_tests_properties(cli.replay_tick_from_2099_is_rejected PROPERTIES
  PASS_REGULAR_EXPRESSION "1 tick\\(s\\) rejected: future_time.*rejected \\(future_time\\): AAA at 4070908800000000000 ns.*closed_1s=40 in_2099=0")

# Issue 9: BBB stops trading after 10 s while AAA goes on for 130 s. BBB's 1 m bar closes
# on the feed's clock (before AAA's first event after 60.4 s), not at the end; the end of
# the replay closes every bar still open and says so.
set(quiet_out ${CMAKE_CURRENT_BINARY_DIR}/quiet_symbol.csv)
add_test(NAME cli.replay_quiet_symbol_bars_close_on_time
         COMMAND sh -c "'$<TARGET_FILE:spacetime>' replay '${PROJECT_SOURCE_DIR}/tests/data/ticks_quiet_symbol.csv' --indicators-out '${quiet_out}' 2>&1 && awk -F, '$1==\"BBB\" && $4==\"candle\" && $5==\"1m\" {b=NR} $1==\"AAA\" && $3>1767364260400000000 && !a {a=NR} END {print (b && a && b<a) ? \"bbb_1m_on_time\" : \"bbb_1m_late\"}' '${quiet_out}'")
set_tests_properties(cli.replay_quiet_symbol_bars_close_on_time PROPERTIES
  PASS_REGULAR_EXPRESSION "end of the replay: 11 open bar\\(s\\) closed \\(flush\\).*bbb_1m_on_time")
