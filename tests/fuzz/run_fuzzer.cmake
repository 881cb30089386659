# The frame_fuzz test (cmake -P): runs a libFuzzer binary a fixed number of
# times from a fresh copy of the seed corpus, so that each test run starts
# from the same place and the source tree is never written to.
#
# -DFUZZER=binary -DSEEDS=seed corpus dir -DWORK=scratch dir -DRUNS=count
#
# WORK is emptied, then holds corpus/ (the seeds plus what the run found
# interesting), artifacts/ (a crashing, leaking or slow input, if any) and
# fuzz.log (libFuzzer's whole output). Fails when libFuzzer exits non-zero,
# printing the end of the log and the artifact's path.

foreach(var FUZZER SEEDS WORK RUNS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is missing")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${SEEDS}/*")
list(LENGTH seeds seed_count)
if(seed_count EQUAL 0)
  message(FATAL_ERROR "run_fuzzer.cmake: no seeds in ${SEEDS}")
endif()
file(COPY ${seeds} DESTINATION "${WORK}/corpus")

# -seed fixes the mutation sequence; -timeout makes a slow input (over 10 s)
# a finding; -max_len leaves room to grow past the largest seed.
set(args -runs=${RUNS} -seed=1 -timeout=10 -max_len=16384 -print_final_stats=1
         "-artifact_prefix=${WORK}/artifacts/" "${WORK}/corpus")
list(JOIN args " " shown)
message(STATUS "frame_fuzz: ${FUZZER} ${shown} (${seed_count} seeds from ${SEEDS})")
string(TIMESTAMP started "%s")
execute_process(COMMAND "${FUZZER}" ${args}
                RESULT_VARIABLE rc
                OUTPUT_FILE "${WORK}/fuzz.log" ERROR_FILE "${WORK}/fuzz.log")
string(TIMESTAMP finished "%s")
math(EXPR seconds "${finished} - ${started}")

# Read as one string: libFuzzer's lines hold unbalanced brackets, which
# would merge a CMake list's elements.
file(READ "${WORK}/fuzz.log" log)
if(NOT rc STREQUAL "0")
  string(LENGTH "${log}" size)
  set(tail_start 0)
  if(size GREATER 12000)
    math(EXPR tail_start "${size} - 12000")
  endif()
  string(SUBSTRING "${log}" ${tail_start} -1 tail)
  file(GLOB found "${WORK}/artifacts/*")
  message(FATAL_ERROR "${tail}\n\nframe_fuzz: libFuzzer exited with ${rc} after ${seconds} s; "
                      "input(s): ${found}; whole log: ${WORK}/fuzz.log")
endif()

# The numbers that say what ran: runs done, speed, corpus growth, memory.
string(REGEX MATCHALL "(Done [^\n]*|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)[^\n]*)"
       numbers "${log}")
foreach(line IN LISTS numbers)
  message(STATUS "frame_fuzz: ${line}")
endforeach()
message(STATUS "frame_fuzz: no crash, leak or sanitizer report in ${RUNS} runs (${seconds} s)")
